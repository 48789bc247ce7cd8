// Unit tests for src/extract.js: every site's posting page, with JSON-LD and without.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { parseHTML } = require("linkedom");

const extract = require("../src/extract.js");

const PAGES = path.join(__dirname, "pages");
const expected = JSON.parse(fs.readFileSync(path.join(PAGES, "expected.json"), "utf8"));

function documentOf(html) {
  return parseHTML(html).document;
}

for (const [file, { page_url: pageUrl, posting }] of Object.entries(expected)) {
  test(`reads the posting on ${file}`, () => {
    const doc = documentOf(fs.readFileSync(path.join(PAGES, file), "utf8"));
    assert.deepEqual(extract.extractPosting(doc, pageUrl), posting);
  });
}

test("every site has a page with JSON-LD and one without", () => {
  const sites = extract.SITES.map((entry) => entry.site);
  for (const site of sites) {
    const sources = Object.values(expected)
      .filter((entry) => entry.posting.site === site)
      .map((entry) => entry.posting.source)
      .sort();
    assert.deepEqual(sources, ["json-ld", "page"], site);
  }
});

test("JSON-LD wins over the markup, and the markup fills what it lacks", () => {
  const doc = documentOf(`
    <script type="application/ld+json">{"@type":"JobPosting","title":"Structured title","hiringOrganization":{"name":"Acme"}}</script>
    <h1 class="top-card-layout__title">Markup title</h1>
    <span class="topcard__flavor--bullet">Lisbon, Portugal</span>`);
  const posting = extract.extractPosting(doc, "https://www.linkedin.com/jobs/view/1/");
  assert.equal(posting.title, "Structured title");
  assert.equal(posting.company, "Acme");
  assert.equal(posting.location, "Lisbon, Portugal");
  assert.equal(posting.source, "json-ld");
});

test("a page without a posting gives nothing to save", () => {
  const doc = documentOf("<main><p>Your feed</p></main>");
  assert.equal(extract.extractPosting(doc, "https://www.linkedin.com/feed/"), null);
});

test("pages of other sites are not read", () => {
  const doc = documentOf('<script type="application/ld+json">{"@type":"JobPosting","title":"x"}</script><h1>x</h1>');
  assert.equal(extract.extractPosting(doc, "https://jobs.example.com/1"), null);
  assert.equal(extract.siteFor("https://evil-linkedin.com.example.net/jobs/view/1"), null);
  assert.equal(extract.siteFor("not a url"), null);
});

test("sites are recognised on their country domains", () => {
  assert.equal(extract.siteFor("https://uk.indeed.com/viewjob?jk=1"), "indeed");
  assert.equal(extract.siteFor("https://de.indeed.com/viewjob?jk=1"), "indeed");
  assert.equal(extract.siteFor("https://www.glassdoor.co.uk/job-listing/x.htm"), "glassdoor");
  assert.equal(extract.siteFor("https://www.ziprecruiter.co.uk/jobs/x"), "zip_recruiter");
  assert.equal(extract.siteFor("https://www.google.de/search?q=x"), "google");
  assert.equal(extract.siteFor("https://de.linkedin.com/jobs/view/1"), "linkedin");
});

test("one URL per posting whatever it was opened from", () => {
  const viewed = extract.canonicalUrl("https://www.linkedin.com/jobs/view/3999/?refId=x#top", "linkedin");
  const listed = extract.canonicalUrl("https://www.linkedin.com/jobs/collections/recommended/?currentJobId=3999", "linkedin");
  assert.equal(viewed, "https://www.linkedin.com/jobs/view/3999/");
  assert.equal(listed, viewed);
  assert.equal(extract.canonicalUrl("https://www.indeed.com/rc/clk?jk=ab12&from=vj", "indeed"), "https://www.indeed.com/viewjob?jk=ab12");
});

test("salary bands read as people write them", () => {
  const band = (value, currency = "USD") => extract.salaryOf({ currency, value });
  assert.equal(band({ minValue: 50000, maxValue: 60000, unitText: "YEAR" }), "$50,000–$60,000 a year");
  assert.equal(band({ minValue: 18.5, maxValue: 18.5, unitText: "HOUR" }), "$18.50 an hour");
  assert.equal(band({ minValue: 4000, maxValue: 5000, unitText: "MONTH" }, "EUR"), "4,000–5,000 EUR a month");
  assert.equal(extract.salaryOf({ currency: "USD", value: "not a number" }), "");
  assert.equal(extract.salaryOf(null), "");
});

test("descriptions keep their words and line breaks, not their markup", () => {
  const text = extract.htmlToText("<p>One&nbsp;two</p><script>alert(1)</script><ul><li>three &amp; four</li></ul>");
  assert.equal(text, "One two\nthree & four");
  assert.equal(extract.htmlToText("x".repeat(30000)).length, 20000);
});

test("a Google search is read only in its Jobs view", () => {
  const doc = documentOf('<div class="whazf"><h2 class="KLsYvd" role="heading">Barista</h2></div>');
  assert.equal(extract.extractPosting(doc, "https://www.google.com/search?q=barista"), null);
  assert.equal(extract.extractPosting(doc, "https://www.google.com/search?q=barista&udm=8").title, "Barista");
});

test("a board's page that is not a posting gives nothing to save", () => {
  const doc = documentOf("<h1>Welcome back, Ada</h1>");
  assert.equal(extract.extractPosting(doc, "https://www.indeed.com/"), null);
  assert.equal(extract.extractPosting(doc, "https://www.glassdoor.com/member/home"), null);
});
