// The management API (JSON under /api). Every state-changing request carries the antiforgery token from
// /api/session; a 401 sends the user back to the sign-in page.
let session = null;
let unauthorized = () => {};

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error || `HTTP ${status}`);
    this.status = status;
    this.fields = Array.isArray(body?.fields) ? body.fields : [];
    this.retryAfter = null;
  }
}

export function onUnauthorized(fn) { unauthorized = fn; }

export async function loadSession() {
  session = await request('GET', '/api/session');
  return session;
}

export const currentSession = () => session;
export const forgetSession = () => { session = null; };

export async function request(method, path, body, { quiet401 = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && session?.antiforgeryToken) headers['X-CSRF-TOKEN'] = session.antiforgeryToken;
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin', cache: 'no-store' });
  if (res.status === 401 && !quiet401) {
    session = null;
    unauthorized();
  }
  if (!res.ok) {
    let parsed = null;
    const text = await res.text();
    try { parsed = JSON.parse(text); } catch { parsed = { error: text.trim() || `${res.status} ${res.statusText}` }; }
    const err = new ApiError(res.status, parsed);
    err.retryAfter = res.headers.get('Retry-After');
    throw err;
  }
  if (res.status === 204 || res.status === 202 && res.headers.get('content-length') === '0') return null;
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('json')) return res.json();
  const text = await res.text();
  return text === '' ? null : text;
}

export const get = (path, opts) => request('GET', path, undefined, opts);
export const post = (path, body, opts) => request('POST', path, body ?? {}, opts);
export const put = (path, body) => request('PUT', path, body);
export const del = (path) => request('DELETE', path);
export const enc = encodeURIComponent;
