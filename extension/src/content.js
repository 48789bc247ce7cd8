/*
 * On a job posting page: a small "Save to tracker" panel that says whether the job is
 * already tracked (and its stage) and, for Pro accounts, the salary band for the title and
 * place. It reads the page with JobSpyExtract (extract.js) and asks the background script,
 * the only part that talks to the server.
 */
(function () {
  "use strict";

  const ext = globalThis.browser ?? globalThis.chrome;
  const HOST_ID = "jobspy-web-panel";
  const STAGE_NAMES = { saved: "Saved", applied: "Applied", interviewing: "Interviewing", offer: "Offer", rejected: "Rejected", withdrawn: "Withdrawn" };

  let shownFor = null;

  function ask(message) {
    return ext.runtime.sendMessage(message).then((answer) => {
      if (!answer || !answer.ok) {
        const error = new Error((answer && answer.message) || "The extension could not answer.");
        error.code = answer && answer.code;
        throw error;
      }
      return answer.result;
    });
  }

  function stageName(stage) {
    return STAGE_NAMES[stage] || stage || "Saved";
  }

  function buildPanel() {
    document.getElementById(HOST_ID)?.remove();
    const host = document.createElement("div");
    host.id = HOST_ID;
    host.style.cssText = "position:fixed;right:16px;bottom:16px;z-index:2147483647;";
    const root = host.attachShadow({ mode: "open" });
    root.innerHTML = `
      <style>
        .panel { font: 14px/1.4 system-ui, sans-serif; background: #fff; color: #1a1a1a; border: 1px solid #d0d7de;
                 border-radius: 10px; box-shadow: 0 4px 16px rgba(0,0,0,.15); padding: 12px 14px; width: 260px; }
        .brand { font-weight: 600; margin-bottom: 6px; }
        button { font: inherit; background: #2563eb; color: #fff; border: 0; border-radius: 6px; padding: 6px 12px; cursor: pointer; }
        button[disabled] { background: #94a3b8; cursor: default; }
        .status { margin-top: 8px; }
        .status.error { color: #b91c1c; }
        .insight { margin-top: 6px; color: #374151; }
        .insight:empty, .status:empty { display: none; }
      </style>
      <div class="panel" role="region" aria-label="JobSpy Web">
        <div class="brand">JobSpy Web</div>
        <button type="button" class="save">Save to tracker</button>
        <div class="status" role="status" aria-live="polite"></div>
        <div class="insight"></div>
      </div>`;
    document.documentElement.appendChild(host);
    return {
      button: root.querySelector(".save"),
      status: root.querySelector(".status"),
      insight: root.querySelector(".insight"),
    };
  }

  function showTracked(panel, item) {
    panel.button.textContent = "Saved";
    panel.button.disabled = true;
    panel.status.classList.remove("error");
    panel.status.textContent = `In your tracker · ${stageName(item && item.stage)}`;
  }

  function showError(panel, error) {
    panel.status.classList.add("error");
    panel.status.textContent = error.message;
  }

  // GET /premium/salary-insights: yearly percentiles of the postings like this one.
  function showInsights(panel, answer) {
    const insight = answer && answer.insights;
    if (!answer || !answer.available || !insight) return;
    const yearly = insight.yearly || {};
    if (yearly.p25 == null || yearly.p75 == null) {
      panel.insight.textContent = "Salary insights: not enough postings with pay for this title and place yet.";
      return;
    }
    const currency = insight.currency || "USD";
    const format = (amount) => Number(amount).toLocaleString("en-US", { style: "currency", currency, maximumFractionDigits: 0 });
    const count = insight.sample_size ? ` from ${insight.sample_size} postings` : "";
    panel.insight.textContent = `Typical pay: ${format(yearly.p25)}–${format(yearly.p75)} a year${count}`;
  }

  async function show(posting) {
    const panel = buildPanel();
    panel.button.addEventListener("click", async () => {
      panel.button.disabled = true;
      panel.status.classList.remove("error");
      panel.status.textContent = "Saving…";
      try {
        const { item } = await ask({ type: "save", posting });
        showTracked(panel, item);
      } catch (error) {
        panel.button.disabled = false;
        showError(panel, error);
      }
    });
    try {
      const lookup = await ask({ type: "lookup", url: posting.url });
      if (lookup.found) showTracked(panel, lookup.item);
      ask({ type: "insights", title: posting.title, location: posting.location })
        .then((answer) => showInsights(panel, answer))
        .catch(() => {}); // a missing band must not hide the tracker
    } catch (error) {
      showError(panel, error);
    }
  }

  // Boards change postings without reloading (LinkedIn's list, Google's panel): look again
  // when the address changes.
  function refresh() {
    const posting = globalThis.JobSpyExtract.extractPosting(document, location.href);
    const key = posting ? posting.url : null;
    if (key === shownFor) return;
    shownFor = key;
    if (posting) show(posting);
    else document.getElementById(HOST_ID)?.remove();
  }

  refresh();
  setInterval(refresh, 1500);
})();
