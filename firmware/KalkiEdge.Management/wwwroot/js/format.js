// Times arrive as ISO-8601 strings (any sub-second precision) or as numbers (Unix micros, millis or seconds);
// reaction traces need microseconds, so everything is read into microseconds since the epoch.
export function micros(t) {
  if (t === null || t === undefined || t === '') return null;
  if (typeof t === 'number') {
    if (t > 1e14) return t;          // micros
    if (t > 1e11) return t * 1000;   // millis
    return t * 1e6;                  // seconds
  }
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(.*)$/.exec(String(t));
  if (!m) {
    const ms = Date.parse(t);
    return Number.isNaN(ms) ? null : ms * 1000;
  }
  const base = Date.parse(m[1] + (m[3] || 'Z'));
  if (Number.isNaN(base)) return null;
  const frac = (m[2] ?? '').padEnd(6, '0').slice(0, 6);
  return base * 1000 + Number(frac);
}

export const millis = (t) => { const u = micros(t); return u === null ? null : u / 1000; };

const pad = (n, w = 2) => String(n).padStart(w, '0');

export function clock(t, withMillis = false) {
  const ms = millis(t);
  if (ms === null) return '—';
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${withMillis ? '.' + pad(d.getMilliseconds(), 3) : ''}`;
}

export function dateTime(t) {
  const ms = millis(t);
  if (ms === null) return '—';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clock(t)}`;
}

export function ago(t, now = Date.now()) {
  const ms = millis(t);
  if (ms === null) return 'never';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** A duration in microseconds, in the unit that reads best. */
export function duration(us) {
  if (us === null || us === undefined || Number.isNaN(us)) return '—';
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 1e6) return `${(us / 1000).toFixed(us < 1e4 ? 2 : 1)} ms`;
  if (us < 60e6) return `${(us / 1e6).toFixed(2)} s`;
  const s = Math.round(us / 1e6);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

export function count(n) {
  if (n === null || n === undefined) return '—';
  return Number(n).toLocaleString('en-US');
}

export function compact(n) {
  const v = Number(n);
  if (Math.abs(v) >= 1e9) return `${(v / 1e9).toFixed(1)}G`;
  if (Math.abs(v) >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (Math.abs(v) >= 1e4) return `${(v / 1e3).toFixed(0)}k`;
  if (Math.abs(v) >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}
