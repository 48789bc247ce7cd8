// JobSpy Web offline: keeps the last results a signed-in person saw, and shows them offline.
//
// On the app's pages it watches the results table and keeps what is on screen (the search's
// name, its status and the rows shown) in localStorage, with the id of the person it belongs
// to. The copy is removed when that person signs out (the sign-out form), and whenever a page
// finds nobody signed in or someone else signed in: another person on this browser never sees
// it. On the offline page (served by /sw.js when a page can't be loaded) it shows that copy.
// Scraped text is untrusted: it is only ever set as text, and links only if http(s).
(function () {
  "use strict";
  var KEY = "jobspy-last-results";
  var VERSION = 1;

  function read() {
    try {
      var saved = JSON.parse(window.localStorage.getItem(KEY) || "null");
      return saved && saved.v === VERSION && Array.isArray(saved.rows) ? saved : null;
    } catch (_error) {
      return null;
    }
  }

  function forget() {
    try {
      window.localStorage.removeItem(KEY);
    } catch (_error) {
      // storage refused (private mode): nothing was kept either
    }
  }

  function text(element) {
    return element ? (element.textContent || "").replace(/\s+/g, " ").trim() : "";
  }

  // Who the page says is signed in: the layout's #session-marker (empty until checked).
  function session() {
    var marker = document.getElementById("session-marker");
    if (!marker || marker.getAttribute("data-checked") !== "yes") return null;
    return { user: marker.getAttribute("data-user") || "" };
  }

  function snapshot(owner) {
    var count = document.getElementById("result-count");
    if (!count) return null; // no search on screen: keep the last one
    var rows = [];
    document.querySelectorAll("#results-table tr.job-row").forEach(function (row) {
      var cells = row.querySelectorAll(":scope > td");
      rows.push({
        title: text(row.querySelector(".job-title")),
        company: text(cells[1]),
        location: text(cells[2]),
        salary: text(cells[3]),
        sites: text(cells[4]),
        posted: text(cells[5]),
        url: row.getAttribute("data-job-url") || "",
      });
    });
    return {
      v: VERSION,
      owner: owner,
      saved_at: new Date().toISOString(),
      label: text(document.getElementById("search-label") || document.querySelector("#search-status")?.parentElement?.querySelector("h2")),
      status: text(document.getElementById("search-status")),
      count: text(count),
      rows: rows,
    };
  }

  var leaving = false; // signing out: nothing is kept any more on this page

  function keep() {
    if (leaving) return;
    if (!navigator.onLine) return; // a page left open offline shows what it had; keep the copy
    var who = session();
    if (!who) return;
    var saved = read();
    if (!who.user) {
      if (saved) forget(); // signed out (here or elsewhere): nothing stays
      return;
    }
    if (saved && saved.owner !== who.user) forget(); // someone else's
    var now = snapshot(who.user);
    if (!now) return;
    var same = saved && saved.owner === now.owner && saved.label === now.label && saved.status === now.status
      && saved.count === now.count && JSON.stringify(saved.rows) === JSON.stringify(now.rows);
    if (same) return;
    try {
      window.localStorage.setItem(KEY, JSON.stringify(now));
    } catch (_error) {
      // full or refused: offline then shows no results rather than stale ones
      forget();
    }
  }

  function watchAppPage() {
    var pending = null;
    var schedule = function () {
      if (pending) window.clearTimeout(pending);
      pending = window.setTimeout(function () {
        pending = null;
        keep();
      }, 400);
    };
    new MutationObserver(schedule).observe(document.documentElement, {
      childList: true,
      subtree: true,
      characterData: true,
      attributes: true,
      attributeFilter: ["data-user", "data-checked"],
    });
    // Signing out here: forget before the form leaves the page.
    document.addEventListener(
      "submit",
      function (event) {
        var action = event.target && event.target.getAttribute && event.target.getAttribute("action");
        // A keep() already scheduled (the menu's own changes) must not save it again
        // while the sign-out is on its way.
        if (action && /\/auth\/logout$/.test(action)) {
          leaving = true;
          forget();
        }
      },
      true,
    );
    schedule();
  }

  function cell(row, value, wide) {
    var td = document.createElement("td");
    if (wide) td.className = "wide"; // hidden on a phone, as on the results page
    td.textContent = value;
    row.appendChild(td);
  }

  function whenServing(tries) {
    fetch("/health", { cache: "no-store" })
      .then(function (response) { if (response.ok) window.location.reload(); else throw new Error("not yet"); })
      .catch(function () { if (tries > 1) window.setTimeout(function () { whenServing(tries - 1); }, 1000); });
  }

  function showOfflinePage() {
    var saved = read();
    var banner = document.getElementById("offline-banner");
    var table = document.getElementById("offline-results");
    var body = table.querySelector("tbody");
    if (!saved) {
      banner.textContent = "Offline: no saved results on this device yet. Your last search shows here after you search while signed in.";
      table.hidden = true;
    } else {
      banner.textContent = "Offline: showing saved results.";
      document.getElementById("offline-label").textContent = saved.label || "Your last search";
      var when = new Date(saved.saved_at);
      document.getElementById("offline-meta").textContent =
        [saved.count, saved.status, isNaN(when) ? "" : "saved " + when.toLocaleString()].filter(Boolean).join(" · ");
      saved.rows.forEach(function (job) {
        var row = document.createElement("tr");
        row.className = "offline-row";
        var title = document.createElement("td");
        if (/^https?:\/\//i.test(job.url)) {
          var link = document.createElement("a");
          link.href = job.url;
          link.rel = "noopener noreferrer";
          link.target = "_blank";
          link.textContent = job.title;
          title.appendChild(link);
        } else {
          title.textContent = job.title;
        }
        row.appendChild(title);
        cell(row, job.company, true);
        cell(row, job.location, true);
        cell(row, job.salary, false);
        cell(row, job.sites, true);
        cell(row, job.posted, false);
        body.appendChild(row);
      });
      table.hidden = false;
    }
    var retry = document.getElementById("offline-retry");
    if (retry) retry.addEventListener("click", function () { window.location.reload(); });
    // Back online: reload once the server answers, not at the event itself (the network
    // may not carry a request yet, and the reload would land on this page again).
    window.addEventListener("online", function () { whenServing(10); });
    // Online but the server was unreachable (restarting): back to the app once it answers.
    window.setInterval(function () {
      if (!navigator.onLine) return;
      fetch("/health", { cache: "no-store" })
        .then(function (response) { if (response.ok) window.location.reload(); })
        .catch(function () {});
    }, 15000);
  }

  var start = function () {
    if (document.getElementById("offline-results")) showOfflinePage();
    else watchAppPage();
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
