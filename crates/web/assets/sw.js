// The offline verifier's service worker: the network first, the browser's cache when there is
// none, for the verifier page, its assets and the issuer's keys. Nothing else is kept.
'use strict';
const CACHE = 'ocop-verify-v1';
const KEPT = (url) => url.pathname === '/verify' || url.pathname.startsWith('/assets/') || url.pathname === '/.well-known/ocop-keys.json';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin || !KEPT(url)) return;
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(event.request, copy));
        }
        return response;
      })
      .catch(() => caches.match(event.request, { ignoreSearch: true }).then((hit) => hit || Response.error())),
  );
});
