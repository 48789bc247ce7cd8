// JobSpy Web service worker: the app shell loads offline; live data always goes to the network.
const CACHE = "jobspy-web-v1";
const SHELL = ["/", "/history", "/manifest.json", "/icon-192.png", "/icon-512.png"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

// Network first, cache as fallback: pages stay fresh online and still open offline.
self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  const live = url.pathname.startsWith("/_event") || url.pathname.startsWith("/licenses")
    || url.pathname.startsWith("/api") || url.pathname === "/health" || url.pathname === "/ping";
  if (event.request.method !== "GET" || url.origin !== self.location.origin || live) return;
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(event.request, copy));
        }
        return response;
      })
      .catch(() => caches.match(event.request).then((hit) => hit || caches.match("/"))),
  );
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
