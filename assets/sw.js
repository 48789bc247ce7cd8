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
