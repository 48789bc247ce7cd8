// JobSpy Web service worker.
//
// What it keeps, and only that (an allowlist: nothing else is ever cached):
// - the offline page and its script, the manifest, icons and app.css (precached at install);
// - the built UI's hashed files under /assets/ (a new build has new names), cache first.
// Pages go to the network; when it can't be reached, a page load gets the offline page, which
// shows the person's last results kept by /offline.js in localStorage (cleared on sign-out).
// Live data (/_event, /api, /auth, /licenses…) is never cached: it carries sessions and owned data.
// A new cache name drops the old caches at activation.
const CACHE = "jobspy-web-v2";
const OFFLINE_PAGE = "/offline.html";
const SHELL = [OFFLINE_PAGE, "/offline.js", "/manifest.json", "/icon-192.png", "/icon-512.png", "/favicon.ico", "/app.css"];
const STATIC_FILES = new Set(SHELL);
const HASHED_PREFIX = "/assets/";

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE)
      // Fresh from the server, never from the HTTP cache: the shell must match this worker.
      .then((cache) => cache.addAll(SHELL.map((path) => new Request(path, { cache: "reload" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

function cacheable(response) {
  // Our own, complete answers only (no redirect, partial, opaque or error answer).
  return response && response.ok && response.status === 200 && response.type === "basic";
}

async function cacheFirst(request) {
  const hit = await caches.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (cacheable(response)) {
    const copy = response.clone();
    caches.open(CACHE).then((cache) => cache.put(request, copy));
  }
  return response;
}

async function networkFirst(request) {
  try {
    const response = await fetch(request);
    if (cacheable(response)) {
      const copy = response.clone();
      caches.open(CACHE).then((cache) => cache.put(request, copy));
    }
    return response;
  } catch (error) {
    const hit = await caches.match(request);
    if (hit) return hit;
    throw error;
  }
}

async function pageOrOffline(request) {
  try {
    return await fetch(request);
  } catch (error) {
    const offline = await caches.match(OFFLINE_PAGE);
    if (offline) return offline;
    throw error;
  }
}

// Which strategy a request gets, or null to leave it to the browser (never cached).
function strategyFor(request) {
  if (request.method !== "GET") return null;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return null;
  if (request.mode === "navigate") return pageOrOffline;
  if (url.search) return null; // a query names live data, never a static file
  if (url.pathname.startsWith(HASHED_PREFIX)) return cacheFirst;
  if (STATIC_FILES.has(url.pathname)) return networkFirst;
  return null;
}

self.addEventListener("fetch", (event) => {
  const strategy = strategyFor(event.request);
  if (strategy) event.respondWith(strategy(event.request));
});

// Alerts by Web Push (only after the person turned push on): show it, and open the alert on click.
self.addEventListener("push", (event) => {
  let alert = { title: "JobSpy Web", body: "New jobs for a saved search", url: "/alerts" };
  try {
    alert = { ...alert, ...event.data.json() };
  } catch (_error) {
    // a push without a JSON body still says something
  }
  event.waitUntil(
    self.registration.showNotification(alert.title, { body: alert.body, icon: "/icon-192.png", data: { url: alert.url } }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL((event.notification.data && event.notification.data.url) || "/alerts", self.location.origin).href;
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      const open = windows.find((client) => client.url === target);
      return open ? open.focus() : self.clients.openWindow(target);
    }),
  );
});

// For tests under node (tests/test_service_worker.py): the pure parts, without a browser.
if (typeof module !== "undefined") module.exports = { CACHE, SHELL, strategyFor, cacheable };
