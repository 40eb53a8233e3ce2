// The offline verifier: checks a scanned or pasted certificate QR in the browser with the
// issuer's published Ed25519 keys (WebCrypto), then asks the server for the status today when
// the network allows, and says plainly when it could not. Works with no network after one visit:
// the page, this script, the stylesheet and the keys are kept in the browser's cache, and the
// service worker (/sw.js) serves them from there.
'use strict';

const KEYS_URL = '/.well-known/ocop-keys.json';
const KEYS_STORE = 'ocop-keys';
const CACHE = 'ocop-verify-v1';
const root = document.getElementById('verifier');
const t = (key) => root.dataset[key];
// A status code's words: data-status-pending-reevaluation → dataset.statusPendingReevaluation.
const camel = (code) => code.split('_').map((w) => w[0].toUpperCase() + w.slice(1)).join('');
const words = (code) => root.dataset['status' + camel(code)] || code;
// Why a payload was refused, in the reader's language.
const reason = (code) => root.dataset['reason' + camel(code)] || code;

function base32(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0, value = 0;
  const out = [];
  for (const c of text) {
    const v = alphabet.indexOf(c);
    if (v < 0) throw new Error('not_base32');
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return new Uint8Array(out);
}

function base64url(text) {
  const s = text.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(s + '='.repeat((4 - (s.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

function day(days) {
  return new Date(Date.UTC(2000, 0, 1) + days * 86400000);
}

function ddmmyyyy(date) {
  const p = (n) => String(n).padStart(2, '0');
  return `${p(date.getUTCDate())}/${p(date.getUTCMonth() + 1)}/${date.getUTCFullYear()}`;
}

// The payload's bytes (format 1, docs/certificates.md).
function parse(bytes) {
  if (bytes.length < 14 + 64) throw new Error('truncated');
  if (bytes[0] !== 1) throw new Error('unknown_version');
  const n = bytes[13];
  if (bytes.length < 14 + n + 1) throw new Error('truncated');
  const m = bytes[14 + n];
  const end = 15 + n + m;
  if (bytes.length !== end + 64) throw new Error('truncated');
  const text = new TextDecoder();
  const pad = (v, w) => String(v).padStart(w, '0');
  return {
    keyId: (bytes[1] << 8) | bytes[2],
    number: `OCOP-${pad(bytes[3], 2)}-${2000 + bytes[4]}-${pad((bytes[5] << 16) | (bytes[6] << 8) | bytes[7], 5)}`,
    stars: bytes[8],
    issued: day((bytes[9] << 8) | bytes[10]),
    expires: day((bytes[11] << 8) | bytes[12]),
    product: text.decode(bytes.slice(14, 14 + n)),
    entity: text.decode(bytes.slice(15 + n, end)),
    body: bytes.slice(0, end),
    signature: bytes.slice(end),
  };
}

// The payload of a scanned text: the QR's URL or the payload alone.
function payloadOf(text) {
  let tail = text.trim();
  const at = tail.lastIndexOf('/v/');
  if (at >= 0) tail = tail.slice(at + 3);
  return tail.split(/[?#/]/)[0].toUpperCase();
}

async function keys() {
  try {
    const response = await fetch(KEYS_URL, { cache: 'no-cache' });
    if (!response.ok) throw new Error(String(response.status));
    const document = await response.json();
    localStorage.setItem(KEYS_STORE, JSON.stringify({ fetched: Date.now(), document }));
    return { document, fetched: Date.now(), fresh: true };
  } catch {
    const kept = JSON.parse(localStorage.getItem(KEYS_STORE) || 'null');
    if (!kept) return null;
    return { document: kept.document, fetched: kept.fetched, fresh: false };
  }
}

async function genuine(claims, document) {
  const key = document.keys.find((k) => k.kid === claims.keyId);
  if (!key) throw new Error('unknown_key');
  const publicKey = await crypto.subtle.importKey('raw', base64url(key.public_key), { name: 'Ed25519' }, false, ['verify']);
  const context = new TextEncoder().encode('OCOP-QR');
  const message = new Uint8Array(context.length + claims.body.length);
  message.set(context);
  message.set(claims.body, context.length);
  return crypto.subtle.verify({ name: 'Ed25519' }, publicKey, claims.signature, message);
}

function show(outcome, headline, facts, live) {
  const result = document.getElementById('offline-result');
  result.hidden = false;
  result.dataset.outcome = outcome;
  result.dataset.valid = String(outcome === 'valid');
  result.querySelector('.icon').textContent = outcome === 'valid' ? '✔' : outcome === 'expired' ? '⌛' : '✘';
  result.querySelector('.headline strong').textContent = headline;
  const list = result.querySelector('dl');
  list.replaceChildren();
  for (const [label, value] of facts) {
    const dt = document.createElement('dt');
    dt.textContent = label;
    const dd = document.createElement('dd');
    dd.textContent = value;
    list.append(dt, dd);
  }
  const liveLine = result.querySelector('.live');
  liveLine.textContent = live.text;
  liveLine.dataset.live = live.state;
}

async function check(text) {
  const payload = payloadOf(text);
  const known = await keys();
  if (!known) {
    show('unchecked', t('noKeys'), [], { state: 'none', text: '' });
    return;
  }
  let claims;
  try {
    claims = parse(base32(payload));
    if (!(await genuine(claims, known.document))) throw new Error('bad_signature');
  } catch (error) {
    show('forged', t('forged'), [[t('reason'), reason(error.message)]], { state: 'none', text: '' });
    return;
  }
  const facts = [
    [t('number'), claims.number],
    [t('stars'), '★'.repeat(claims.stars)],
    [t('productCode'), claims.product],
    [t('entityCode'), claims.entity],
    [t('issued'), ddmmyyyy(claims.issued)],
    [t('expires'), ddmmyyyy(claims.expires)],
  ];
  const expiredByDate = Date.now() > claims.expires.getTime() + 86400000;
  let live = { state: 'unknown', text: t('liveUnknown') };
  let outcome = expiredByDate ? 'expired' : 'valid';
  let headline = expiredByDate ? t('genuineExpired') : t('genuineOffline');
  try {
    const response = await fetch('/api/v1/verify', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: payload,
    });
    if (response.ok) {
      const answer = await response.json();
      facts.splice(1, 0, [t('product'), answer.product_name || '']);
      live = { state: answer.status || 'none', text: `${t('liveStatus')}: ${words(answer.status || 'none')}` };
      const inForce = answer.status === 'active' || answer.status === 'pending_reevaluation';
      outcome = inForce && answer.matches_record ? 'valid' : answer.status === 'expired' ? 'expired' : 'not_valid';
      headline = outcome === 'valid' ? t('genuineValid') : `${t('genuineNotValid')} ${words(answer.status || 'none')}`;
    }
  } catch {
    // Offline: the signature was checked; the status today could not be.
  }
  show(outcome, headline, facts, live);
}

document.getElementById('verify-form').addEventListener('submit', (event) => {
  event.preventDefault();
  check(document.getElementById('scan-text').value);
});

// The camera, where the browser can read QR codes.
if ('BarcodeDetector' in window && navigator.mediaDevices) {
  const button = document.getElementById('scan-camera');
  button.hidden = false;
  button.addEventListener('click', async () => {
    const video = document.getElementById('camera');
    video.hidden = false;
    const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
    video.srcObject = stream;
    await video.play();
    const detector = new BarcodeDetector({ formats: ['qr_code'] });
    const look = async () => {
      const codes = await detector.detect(video).catch(() => []);
      if (codes.length > 0) {
        stream.getTracks().forEach((track) => track.stop());
        video.hidden = true;
        document.getElementById('scan-text').value = codes[0].rawValue;
        check(codes[0].rawValue);
      } else {
        requestAnimationFrame(look);
      }
    };
    look();
  });
}

// Keep the page, its assets and the keys for use without network.
if ('serviceWorker' in navigator && 'caches' in window) {
  navigator.serviceWorker.register('/sw.js').catch(() => {});
  const assets = [...document.querySelectorAll('link[rel=stylesheet], script[src], link[rel=icon]')]
    .map((el) => el.href || el.src);
  caches.open(CACHE).then((cache) => cache.addAll([location.pathname, KEYS_URL, ...assets])).then(() => {
    root.dataset.ready = 'true';
    keys();
  }).catch(() => {});
}
