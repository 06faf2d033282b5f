// Overview: every device with its state, chain in force and newest alert; counts by state; how the appliance is
// protected. Kept live by the event stream: no polling, no reload.
import { h, replace, statePill, stateClass, stateWord } from '../dom.js';
import { get } from '../api.js';
import * as live from '../live.js';
import { ago, clock, compact, count, millis } from '../format.js';

const severity = { attack: 0, suspicious: 1, other: 2, normal: 3 };
const FEED_MAX = 60;

export async function render(main) {
  const data = await get('/api/overview');
  const devices = new Map(data.devices.map((d) => [d.name, d]));
  let filter = '';
  let stateFilter = 'all';

  const tiles = h('div', { class: 'tiles', id: 'state-counts' });
  const tbody = h('tbody');
  const feed = h('ol', { class: 'feed', 'aria-live': 'polite', 'aria-label': 'live events' });
  const shown = h('span', { class: 'muted small' });

  const head = h('div', { class: 'page-head' },
    h('div', {}, h('h1', {}, 'Overview'), h('div', { class: 'sub' }, `KalkiEdge ${data.version} · ${data.mode} mode`)),
    h('div', { class: 'actions' }, h('a', { class: 'btn primary', href: '#/devices/new' }, '+ Add device')));

  const search = h('input', { type: 'search', placeholder: 'Filter by name, type, MAC, IP…', 'aria-label': 'Filter devices', oninput: (e) => { filter = e.target.value.toLowerCase(); drawRows(); } });
  const seg = h('div', { class: 'seg', role: 'group', 'aria-label': 'Show devices in state' },
    ['all', 'Attack', 'Suspicious', 'Normal'].map((st) => h('button', { type: 'button', 'aria-pressed': String(st === 'all'), onclick: (e) => {
      stateFilter = st;
      seg.querySelectorAll('button').forEach((b) => b.setAttribute('aria-pressed', String(b === e.currentTarget)));
      drawRows();
    } }, st === 'all' ? 'All' : st)));

  replace(main, head,
    protectionBanners(data),
    tiles,
    h('div', { class: 'grid main-side feed-side' },
      h('section', { class: 'panel flush', 'aria-labelledby': 'devices-title' },
        h('div', { class: 'table-tools' }, h('h2', { id: 'devices-title', class: 'nomargin' }, 'Devices'), search, seg, shown),
        h('div', { class: 'table-wrap' }, h('table', { id: 'devices' },
          h('thead', {}, h('tr', {}, ['State', 'Device', 'Type', 'Chain in force', 'Newest alert', 'Last seen', 'Forwarded', 'Dropped'].map((c, i) => h('th', { scope: 'col', class: i >= 6 ? 'num' : '' }, c)))),
          tbody))),
      h('section', { class: 'panel flush', 'aria-labelledby': 'feed-title' },
        h('div', { class: 'table-tools' }, h('h2', { id: 'feed-title' }, 'Live events'), h('span', { class: 'muted small' }, 'alerts and state changes as they happen')),
        feed)));

  drawTiles();
  drawRows();
  for (const d of [...devices.values()].filter((x) => x.newestAlert).sort((a, b) => millis(a.newestAlert.time) - millis(b.newestAlert.time))) {
    addFeed(alertItem({ device: d.name, ...d.newestAlert }), false);
  }
  if (!feed.firstChild) feed.append(h('li', { class: 'empty-feed' }, h('span', { class: 't' }), h('span', { class: 'what muted' }, 'Waiting for events…')));

  function drawTiles() {
    const counts = {};
    for (const d of devices.values()) {
      const k = stateWord(d.state);
      counts[k] = (counts[k] ?? 0) + 1;
    }
    const extra = Object.keys(counts).filter((k) => !['Normal', 'Suspicious', 'Attack'].includes(k));
    replace(tiles,
      tile('Devices', devices.size, `${[...devices.values()].filter((d) => d.needsReview).length || 'none'} need review`),
      ['Normal', 'Suspicious', 'Attack', ...extra].map((st) => {
        const n = counts[st] ?? 0;
        const t = tile(st, n, n === 1 ? 'device' : 'devices', `by-state s-${stateClass(st)}${st === 'Attack' && n > 0 ? ' hot' : ''}`);
        t.dataset.state = st;
        return t;
      }),
      tile('Hypervisor', data.hypervisor.backend, data.hypervisor.hardwareProtected ? 'hardware-protected' : 'not hardware-protected', `text ${data.hypervisor.hardwareProtected ? 'good' : 'caution'}`),
      tile('Packet signing', data.signing.mode, data.signing.warning ? 'OFF: frames are not signed' : 'frames signed before egress', `text ${data.signing.warning ? 'bad' : 'good'}`));
  }

  function drawRows() {
    const rows = [...devices.values()]
      .filter((d) => stateFilter === 'all' || d.state === stateFilter)
      .filter((d) => !filter || [d.name, d.type, d.mac, ...(d.ips ?? []), d.chain, stateWord(d.state)].some((v) => String(v ?? '').toLowerCase().includes(filter)))
      .sort((a, b) => severity[stateClass(a.state)] - severity[stateClass(b.state)] || a.name.localeCompare(b.name));
    replace(tbody, rows.length ? rows.map(row) : h('tr', {}, h('td', { colspan: 8, class: 'empty' },
      devices.size ? 'No device matches the filter.' : h('span', {}, 'No devices yet. ', h('a', { href: '#/devices/new' }, 'Add the first one')))));
    shown.textContent = `${rows.length} of ${devices.size}`;
  }

  function row(d) {
    return h('tr', { dataset: { device: d.name } },
      h('td', {}, statePill(d.state)),
      h('td', {}, h('a', { href: `#/devices/${encodeURIComponent(d.name)}`, class: 'devlink' }, h('strong', {}, d.name)),
        h('span', { class: 'sub mono' }, [d.mac, ...(d.ips ?? [])].join(' · ')),
        d.needsReview ? h('span', { class: 'badge warn' }, 'needs review') : null),
      h('td', { class: 'nowrap' }, d.type ?? h('span', { class: 'muted' }, 'fixed chain'), d.origin === 'runtime' ? h('span', { class: 'sub' }, 'added here') : null),
      h('td', { class: 'chain', title: d.chain ?? '' }, d.image ?? d.chain ?? '—'),
      h('td', {}, d.newestAlert
        ? [h('span', { class: 'badge bad' }, d.newestAlert.type), ' ', h('span', { class: 'muted small', title: clock(d.newestAlert.time) }, ago(d.newestAlert.time)),
          d.newestAlert.info ? h('span', { class: 'sub', title: d.newestAlert.info }, truncate(d.newestAlert.info, 70)) : null]
        : h('span', { class: 'muted' }, 'none')),
      h('td', { class: 'nowrap', title: d.lastSeen ? clock(d.lastSeen) : '' }, ago(d.lastSeen)),
      h('td', { class: 'num' }, count(d.forwarded)),
      h('td', { class: 'num' }, count(d.dropped)));
  }

  function redrawRow(name, flash) {
    drawRows();
    drawTiles();
    if (flash) tbody.querySelector(`tr[data-device="${CSS.escape(name)}"]`)?.classList.add('flash');
  }

  function addFeed(item, isNew = true) {
    feed.querySelector('.empty-feed')?.remove();
    if (isNew) item.classList.add('new');
    feed.prepend(item);
    while (feed.children.length > FEED_MAX) feed.lastChild.remove();
  }

  // A flood event stands for the repeats of one device and alert type the stream folded within its window.
  function alertItem(a) {
    const flood = a.flood > 1
      ? h('span', { class: 'flood', title: `${count(a.flood)} more ${a.type} alerts (${count(a.count)} occurrences) between ${clock(a.since)} and ${clock(a.time)}, folded into one live event; the newest is shown` }, `flood ×${count(a.flood)}`)
      : null;
    return h('li', { class: flood ? 'alert flooded' : 'alert' }, h('span', { class: 't' }, clock(a.time)),
      h('span', { class: 'what' }, h('span', { class: 'badge bad' }, a.type), ' on ', devLink(a.device), flood ? ' ' : null, flood,
        !flood && a.count > 1 ? h('span', { class: 'muted' }, ` ×${a.count}`) : null,
        a.info ? h('span', { class: 'sub muted' }, truncate(a.info, 110)) : null));
  }

  const subs = [
    live.on('alert', (a) => {
      const d = devices.get(a.device);
      if (d) {
        d.newestAlert = { type: a.type, time: a.time, info: a.info };
        d.lastSeen = a.time;
        redrawRow(d.name, false);
      }
      addFeed(alertItem(a));
    }),
    live.on('overflow', (o) => addFeed(h('li', { class: 'alert flooded' }, h('span', { class: 't' }, clock(o.time)),
      h('span', { class: 'what' }, h('span', { class: 'flood' }, `flood ×${count(o.alerts)}`), ' alerts on more devices and types at once than the live view lists',
        h('span', { class: 'sub muted' }, 'each device\'s alert history has them all'))))),
    live.on('resync', async () => {
      try {
        const fresh = await get('/api/overview');
        devices.clear();
        for (const d of fresh.devices) devices.set(d.name, d);
        drawTiles();
        drawRows();
      } catch { /* the next event or reconnect tries again */ }
    }),
    live.on('transition', (t) => {
      const d = devices.get(t.device);
      if (d) {
        d.state = t.to;
        transitions++;
        redrawRow(d.name, true);
        refreshChains();
      }
      addFeed(h('li', { class: 'transition' }, h('span', { class: 't' }, clock(t.time)),
        h('span', { class: 'what' }, devLink(t.device), ' ', statePill(t.from), h('span', { class: 'arrow' }, '→'), statePill(t.to),
          h('span', { class: 'sub muted' }, `rule ${t.rule ?? '—'} · reaction ${t.reactionMicros ?? '—'} µs`))));
    }),
    live.on('device', (d) => {
      if (d.deleted) devices.delete(d.name);
      else devices.set(d.name, { ...devices.get(d.name), ...d });
      redrawRow(d.name, !d.deleted);
    }),
    live.on('stats', (st) => {
      let changed = false;
      for (const [name, c] of Object.entries(st.devices ?? {})) {
        const d = devices.get(name);
        if (!d) continue;
        if (c.forwarded !== d.forwarded || c.dropped !== d.dropped) {
          if (c.forwarded + c.dropped > (d.forwarded ?? 0) + (d.dropped ?? 0)) d.lastSeen = Date.now();
          d.forwarded = c.forwarded;
          d.dropped = c.dropped;
          changed = true;
        }
      }
      if (changed) drawRows();
    }),
  ];
  // A state change swaps the device's chain: read the devices again once the burst of events is over. An answer
  // overtaken by a newer state change is stale (it would show the state before it): that change reads them again.
  let chainsPending = null;
  let transitions = 0;
  function refreshChains() {
    clearTimeout(chainsPending);
    chainsPending = setTimeout(async () => {
      const asked = transitions;
      try {
        const answer = await get('/api/devices');
        if (asked !== transitions) return;
        for (const fresh of answer) {
          const d = devices.get(fresh.name);
          if (d) Object.assign(d, { chain: fresh.chain, image: fresh.image, state: fresh.state });
        }
        drawRows();
      } catch { /* the next event tries again */ }
    }, 300);
  }
  const timer = setInterval(drawRows, 5000);
  return () => { subs.forEach((u) => u()); clearInterval(timer); clearTimeout(chainsPending); };
}

export function protectionBanners(data) {
  const out = [];
  if (data.signing?.warning) {
    out.push(h('div', { class: 'banner danger loud', role: 'alert', id: 'signing-warning' }, h('span', { 'aria-hidden': 'true' }, '⚠'), data.signing.warning));
  }
  if (data.hypervisor && !data.hypervisor.hardwareProtected) {
    out.push(h('div', { class: 'banner warn' }, h('strong', {}, `Hypervisor: ${data.hypervisor.backend}.`),
      ' Images are attested and frames signed in software; this appliance is not hardware-protected.'));
  }
  return out;
}

function tile(k, v, d, cls = '') {
  return h('div', { class: `tile ${cls}` }, h('div', { class: 'k' }, k), h('div', { class: `v${cls.includes('text') ? ' text' : ''}` }, typeof v === 'number' ? compact(v) : v), h('div', { class: 'd' }, d));
}

const devLink = (name) => h('a', { href: `#/devices/${encodeURIComponent(name)}` }, name);
const truncate = (t, n) => (String(t).length > n ? String(t).slice(0, n - 1) + '…' : String(t));
