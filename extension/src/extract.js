/*
 * Read a job posting from the page the person is viewing: JSON-LD JobPosting first (what
 * the boards publish for search engines), each board's own markup as the fallback.
 *
 * Plain script on purpose: the content script loads it as is (content scripts can't be
 * ES modules), and Node's test runner requires it (module.exports at the bottom).
 * Every function takes the document and the URL, so the tests pass a parsed HTML file.
 */
(function (root) {
  "use strict";

  // By JobSpy's site values (jobspy_web/core/sites.py), so the tracker groups them alike.
  const SITES = [
    { site: "linkedin", hosts: /(^|\.)linkedin\.com$/ },
    { site: "indeed", hosts: /(^|\.)indeed\.(com|[a-z]{2}|co\.[a-z]{2}|com\.[a-z]{2})$/ },
    { site: "glassdoor", hosts: /(^|\.)glassdoor\.(com|[a-z]{2}|co\.[a-z]{2}|com\.[a-z]{2})$/ },
    { site: "zip_recruiter", hosts: /(^|\.)ziprecruiter\.(com|co\.uk|ca)$/ },
    { site: "google", hosts: /(^|\.)google\.(com|[a-z]{2}|co\.[a-z]{2}|com\.[a-z]{2})$/ },
  ];

  // Fallback selectors, most specific first: the public page and the signed-in one differ.
  const SELECTORS = {
    linkedin: {
      title: ["h1.top-card-layout__title", ".job-details-jobs-unified-top-card__job-title h1", "h1.topcard__title"],
      company: [
        ".topcard__org-name-link",
        ".job-details-jobs-unified-top-card__company-name a",
        ".job-details-jobs-unified-top-card__company-name",
        ".topcard__flavor",
      ],
      location: [".topcard__flavor--bullet", ".job-details-jobs-unified-top-card__primary-description-container .tvm__text"],
      salary: [".salary.compensation__salary", ".compensation__salary", ".job-details-jobs-unified-top-card__job-insight--highlight"],
      description: [".show-more-less-html__markup", ".jobs-description__content", "#job-details"],
    },
    indeed: {
      title: ['[data-testid="jobsearch-JobInfoHeader-title"]', "h1.jobsearch-JobInfoHeader-title"],
      company: ['[data-testid="inlineHeader-companyName"]', '[data-company-name="true"]', ".jobsearch-CompanyInfoWithoutHeaderImage a"],
      location: ['[data-testid="inlineHeader-companyLocation"]', '[data-testid="job-location"]', "#jobLocationText"],
      salary: ["#salaryInfoAndJobType > span:first-child", "#salaryInfoAndJobType", '[data-testid="jobsearch-OtherJobDetailsContainer"] [aria-label*="alary"]'],
      description: ["#jobDescriptionText", ".jobsearch-jobDescriptionText"],
    },
    glassdoor: {
      title: ['[data-test="job-title"]', 'h1[id^="jd-job-title"]'],
      company: ['[data-test="employer-name"]', '[class*="EmployerProfile_employerName"]'],
      location: ['[data-test="location"]', '[class*="JobDetails_location"]'],
      salary: ['[data-test="detailSalary"]', '[class*="SalaryEstimate_salaryRange"]'],
      description: ['[class*="JobDetails_jobDescription"]', "#JobDescriptionContainer", '[data-test="jobDescriptionContent"]'],
    },
    zip_recruiter: {
      title: ['[data-testid="job-title"]', "h1.job_title"],
      company: ['[data-testid="job-card-company"]', ".hiring_company_text a", ".hiring_company"],
      location: ['[data-testid="job-card-location"]', ".location_text", ".job_location"],
      salary: ['[data-testid="job-card-salary"]', ".job_salary", ".salary_text"],
      description: ['[data-testid="job-description"]', ".job_description", ".job_details"],
    },
    google: {
      // The Google Jobs panel inside a search result page.
      title: ['[data-testid="job-title"]', ".KLsYvd", '.whazf h2[role="heading"]'],
      company: ['[data-testid="job-company"]', ".nJlQNd", ".vNEEBe"],
      location: ['[data-testid="job-location"]', ".sMzDkb", ".Qk80Jf"],
      salary: ['[data-testid="job-salary"]', '[aria-label^="Salary"]'],
      description: ['[data-testid="job-description"]', ".HBvzbc", ".NgUYpe"],
    },
  };

  // What the boards print inside the element beside the value: a screen-reader suffix on
  // Indeed's title, the star rating after Glassdoor's employer name.
  const TIDY = {
    indeed: { title: (text) => text.replace(/\s*-\s*job post$/i, "") },
    glassdoor: { company: (text) => text.replace(/\s*\d\.\d\s*★?$/, "") },
  };

  const MAX_DESCRIPTION = 20000;

  function siteFor(url) {
    let host;
    try {
      host = new URL(url).hostname.toLowerCase();
    } catch (_error) {
      return null;
    }
    const match = SITES.find((entry) => entry.hosts.test(host));
    return match ? match.site : null;
  }

  // Google is a posting page only in its Jobs view, not on every search result.
  function isGoogleJobs(url) {
    const params = new URL(url).searchParams;
    return (params.get("ibp") || "").startsWith("htl;jobs") || params.get("udm") === "8";
  }

  // One URL per posting, whatever tracking parameters or list view it was opened from:
  // the tracker's lookup finds the job by it.
  function canonicalUrl(url, site) {
    const parsed = new URL(url);
    parsed.hash = "";
    if (site === "linkedin") {
      const viewed = parsed.pathname.match(/\/jobs\/view\/(?:[^/]*-)?(\d+)/);
      const selected = parsed.searchParams.get("currentJobId");
      const jobId = viewed ? viewed[1] : selected;
      if (jobId && /^\d+$/.test(jobId)) return `https://www.linkedin.com/jobs/view/${jobId}/`;
    }
    if (site === "indeed") {
      const jobKey = parsed.searchParams.get("jk") || parsed.searchParams.get("vjk");
      if (jobKey && /^[0-9a-f]+$/i.test(jobKey)) return `${parsed.origin}/viewjob?jk=${jobKey}`;
    }
    if (site === "google") {
      const kept = new URL(parsed.origin + parsed.pathname);
      for (const name of ["q", "ibp", "udm", "htidocid"]) {
        const value = parsed.searchParams.get(name);
        if (value) kept.searchParams.set(name, value);
      }
      return kept.toString();
    }
    parsed.search = "";
    return parsed.toString();
  }

  function clean(text) {
    return (text || "").replace(/\s+/g, " ").trim();
  }

  const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " ", "#39": "'" };

  function decodeEntities(text) {
    return text
      .replace(/&#x([0-9a-f]+);/gi, (_m, hex) => String.fromCodePoint(parseInt(hex, 16)))
      .replace(/&#(\d+);/g, (_m, dec) => String.fromCodePoint(parseInt(dec, 10)))
      .replace(/&([a-z]+|#39);/gi, (whole, name) => ENTITIES[name.toLowerCase()] ?? whole);
  }

  // JSON-LD descriptions are HTML (often entity-escaped twice): keep the words and the breaks.
  function htmlToText(html) {
    let text = decodeEntities(String(html || ""));
    if (/<[a-z][\s\S]*>/i.test(text)) {
      text = text
        .replace(/<(script|style)[\s\S]*?<\/\1>/gi, " ")
        .replace(/<\s*(br|\/p|\/li|\/div|\/h\d)\s*\/?>/gi, "\n")
        .replace(/<[^>]+>/g, " ");
      text = decodeEntities(text);
    }
    return text
      .split("\n")
      .map((line) => line.replace(/[ \t\u00a0]+/g, " ").trim())
      .filter(Boolean)
      .join("\n")
      .slice(0, MAX_DESCRIPTION);
  }

  function* jsonLdNodes(value) {
    if (Array.isArray(value)) {
      for (const item of value) yield* jsonLdNodes(item);
    } else if (value && typeof value === "object") {
      yield value;
      if (value["@graph"]) yield* jsonLdNodes(value["@graph"]);
    }
  }

  function isJobPosting(node) {
    const type = node["@type"];
    return type === "JobPosting" || (Array.isArray(type) && type.includes("JobPosting"));
  }

  function findJobPosting(doc) {
    for (const script of doc.querySelectorAll('script[type="application/ld+json"]')) {
      let parsed;
      try {
        parsed = JSON.parse(script.textContent);
      } catch (_error) {
        continue; // a broken block on the page must not hide the next one
      }
      for (const node of jsonLdNodes(parsed)) {
        if (isJobPosting(node)) return node;
      }
    }
    return null;
  }

  function nameOf(value) {
    if (!value) return "";
    if (typeof value === "string") return clean(value);
    if (Array.isArray(value)) return nameOf(value[0]);
    return clean(value.name || "");
  }

  function placeOf(jobLocation) {
    const places = Array.isArray(jobLocation) ? jobLocation : [jobLocation];
    for (const place of places) {
      if (!place) continue;
      if (typeof place === "string") return clean(place);
      const address = place.address || place;
      if (typeof address === "string") return clean(address);
      const country = typeof address.addressCountry === "object" ? address.addressCountry.name : address.addressCountry;
      const parts = [address.addressLocality, address.addressRegion, country].map(clean).filter(Boolean);
      if (parts.length) return parts.join(", ");
    }
    return "";
  }

  const UNITS = { HOUR: "an hour", DAY: "a day", WEEK: "a week", MONTH: "a month", YEAR: "a year" };

  function number(amount) {
    const value = Number(amount);
    if (amount === null || amount === "" || !Number.isFinite(value)) return "";
    const digits = value >= 1000 || Number.isInteger(value) ? 0 : 2;
    return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }

  // "$50,000–$60,000" in dollars, "4,000–5,000 EUR" in any other currency.
  function band(low, high, currency) {
    const amounts = [number(low), high == null ? "" : number(high)].filter(Boolean);
    if (!amounts.length || (high != null && amounts.length < 2)) return "";
    const dollars = currency === "USD" || !currency;
    const unique = amounts[0] === amounts[1] ? [amounts[0]] : amounts;
    return dollars ? unique.map((amount) => `$${amount}`).join("–") : `${unique.join("–")} ${currency}`;
  }

  function salaryOf(baseSalary) {
    if (!baseSalary) return "";
    if (typeof baseSalary === "string" || typeof baseSalary === "number") return clean(String(baseSalary));
    const value = baseSalary.value ?? baseSalary;
    const currency = baseSalary.currency || value.currency || "";
    const unit = UNITS[String(value.unitText || baseSalary.unitText || "").toUpperCase()] || "";
    let text;
    if (typeof value === "number" || typeof value === "string") {
      text = band(value, null, currency);
    } else if (value.minValue != null && value.maxValue != null) {
      text = band(value.minValue, value.maxValue, currency);
    } else {
      text = band(value.value ?? value.minValue ?? value.maxValue, null, currency);
    }
    return text ? clean(`${text} ${unit}`) : "";
  }

  function fromJsonLd(node) {
    const remote = String(node.jobLocationType || "").toUpperCase() === "TELECOMMUTE";
    return {
      title: clean(decodeEntities(String(node.title || node.name || ""))),
      company: nameOf(node.hiringOrganization),
      location: placeOf(node.jobLocation) || (remote ? "Remote" : ""),
      salary_text: salaryOf(node.baseSalary || node.estimatedSalary),
      description: htmlToText(node.description),
    };
  }

  function firstText(doc, selectors, { multiline = false } = {}) {
    for (const selector of selectors) {
      const element = doc.querySelector(selector);
      if (!element) continue;
      const text = multiline ? htmlToText(element.innerHTML ?? element.textContent) : clean(element.textContent);
      if (text) return text;
    }
    return "";
  }

  function fromSelectors(doc, site) {
    const selectors = SELECTORS[site];
    const tidy = TIDY[site] || {};
    const posting = {
      title: firstText(doc, selectors.title),
      company: firstText(doc, selectors.company),
      location: firstText(doc, selectors.location),
      salary_text: firstText(doc, selectors.salary),
      description: firstText(doc, selectors.description, { multiline: true }),
    };
    for (const [field, tidyField] of Object.entries(tidy)) posting[field] = tidyField(posting[field]);
    return posting;
  }

  /*
   * The posting on this page as the tracker API takes it, or null when the page holds none
   * (a search list, a profile). Missing fields of the JSON-LD are filled from the markup.
   */
  function extractPosting(doc, url) {
    const site = siteFor(url);
    if (!site || (site === "google" && !isGoogleJobs(url))) return null;
    const node = findJobPosting(doc);
    const structured = node ? fromJsonLd(node) : null;
    const marked = fromSelectors(doc, site);
    const posting = { ...marked };
    if (structured) {
      for (const [field, value] of Object.entries(structured)) {
        if (value) posting[field] = value;
      }
    }
    if (!posting.title) return null;
    return {
      url: canonicalUrl(url, site),
      title: posting.title,
      company: posting.company,
      location: posting.location,
      salary_text: posting.salary_text || null,
      description: posting.description || null,
      site,
      source: structured ? "json-ld" : "page",
    };
  }

  const api = { SITES, SELECTORS, siteFor, canonicalUrl, findJobPosting, htmlToText, salaryOf, placeOf, extractPosting };
  if (typeof module !== "undefined" && module.exports) module.exports = api;
  root.JobSpyExtract = api;
})(typeof globalThis !== "undefined" ? globalThis : this);
