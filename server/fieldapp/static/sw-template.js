// The field app's service worker: the shell (pages, modules, styles, font, icons) from the
// cache, so the app opens with no network; the API always from the network, never cached.
// A new shell (another version) is installed beside the old one and takes over at once.

const VERSION = "__VERSION__";
const SHELL = __SHELL__;
const CACHE = `fieldsync-shell-${VERSION}`;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n.startsWith("fieldsync-shell-") && n !== CACHE).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== location.origin || url.pathname.startsWith("/api/")) return;
  if (!url.pathname.startsWith("/app/") && !url.pathname.startsWith("/vendor/")) return;
  const key = url.pathname === "/app" || url.pathname === "/app/index.html" ? "/app/" : url.pathname;
  event.respondWith(caches.open(CACHE).then(async (cache) => {
    const cached = await cache.match(key, { ignoreSearch: true });
    if (cached) return cached;
    const fresh = await fetch(event.request);
    if (fresh.ok) cache.put(key, fresh.clone());
    return fresh;
  }));
});
