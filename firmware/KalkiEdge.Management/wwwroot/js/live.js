// One Server-Sent Events stream (/api/events) for the whole dashboard. Pages subscribe to event names and
// unsubscribe when they are left; the browser reconnects by itself and the status dot says so.
const handlers = new Map();
let source = null;

/**
 * Opens the stream. The browser retries a dropped connection by itself; a refused one (e.g. the session ended)
 * closes the stream and <onRefused> decides what next.
 */
export function connect(statusEl, onRefused) {
  if (source) return;
  source = new EventSource('/api/events');
  const status = (on, text) => {
    statusEl.classList.toggle('on', on);
    statusEl.classList.toggle('off', !on);
    statusEl.querySelector('.label').textContent = text;
    statusEl.title = on ? 'Live: events stream from the appliance' : 'Reconnecting to the live stream';
  };
  // A reopened stream may have missed events (the appliance drops a client that falls behind): pages that show
  // live state subscribe to 'resync' and read it afresh.
  let opened = false;
  source.onopen = () => {
    status(true, 'live');
    if (opened) dispatch('resync', {});
    opened = true;
  };
  source.onerror = () => {
    status(false, 'reconnecting');
    if (source?.readyState === EventSource.CLOSED) {
      source = null;
      onRefused?.();
    }
  };
  for (const name of ['alert', 'overflow', 'transition', 'device', 'stats', 'pairing']) {
    source.addEventListener(name, (e) => {
      let data;
      try { data = JSON.parse(e.data); } catch { return; }
      dispatch(name, data);
    });
  }
}

function dispatch(name, data) {
  for (const fn of handlers.get(name) ?? []) {
    try { fn(data); } catch (err) { console.error(err); }
  }
}

export function disconnect() {
  source?.close();
  source = null;
}

/** Subscribes; returns the function that unsubscribes. */
export function on(name, fn) {
  if (!handlers.has(name)) handlers.set(name, new Set());
  handlers.get(name).add(fn);
  return () => handlers.get(name).delete(fn);
}
