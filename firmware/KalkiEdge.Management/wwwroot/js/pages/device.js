// One device: what protects it now (chain and per-element counters), what happened to it (alerts, state timeline,
// reaction traces) and how it behaves (telemetry and traffic charts); edit, delete and operator reset.
import { dialog, h, replace, statePill, toast } from '../dom.js';
import { del, enc, get, post, put } from '../api.js';
import * as live from '../live.js';
import { ago, clock, count, dateTime, duration, micros, millis } from '../format.js';
import { legend, lineChart, stateTimeline } from '../charts.js';
import { deviceBody, deviceInputs, field, showFieldErrors } from '../device-form.js';

const STAGES = ['STIMULUS', 'TRIGGER', 'REACT', 'FINISH'];

/** The device's detail with its summary's fields at the top level (the API may nest them under "device"). */
async function load(name) {
  const detail = await get(`/api/devices/${enc(name)}`);
  const { device, ...rest } = detail;
  return device ? { ...device, ...rest } : detail;
}

export async function render(main, [name]) {
  let d = await load(name);
  const liveTraffic = [];
  const body = h('div', { class: 'stack' });
  const headState = h('span');
  const head = h('div', {},
    h('div', { class: 'crumbs' }, h('a', { href: '#/' }, 'Overview'), ' / ', d.name),
    h('div', { class: 'page-head' },
      h('h1', {}, d.name), headState,
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'btn', id: 'reset', onclick: () => resetDialog(d) }, 'Reset state…'),
        h('button', { type: 'button', class: 'btn', id: 'edit', onclick: () => editDialog(d) }, 'Edit…'),
        h('button', { type: 'button', class: 'btn danger', id: 'delete', onclick: () => deleteDialog(d) }, 'Delete…'))));
  replace(main, head, body);
  draw();

  function draw() {
    replace(headState, statePill(d.state, true));
    replace(body,
      d.needsReview ? h('div', { class: 'banner warn' }, h('strong', {}, 'Needs review.'), ' This device was added in the field; check its type and addresses.') : null,
      h('section', { class: 'panel', 'aria-labelledby': 'facts-title' },
        h('h2', { id: 'facts-title', class: 'visually-hidden' }, 'Device'),
        h('dl', { class: 'facts' },
          fact('Type', d.type ?? 'fixed chain (no policy)'),
          fact('MAC', h('span', { class: 'mono' }, d.mac)),
          fact('IP addresses', h('span', { class: 'mono' }, (d.ips ?? []).join(', ') || '—')),
          fact('Last seen', d.lastSeen ? h('span', { title: dateTime(d.lastSeen) }, ago(d.lastSeen)) : 'never'),
          fact('Frames', `${count(d.forwarded)} forwarded · ${count(d.dropped)} dropped`),
          fact('Added', d.origin === 'runtime' ? 'here, at run time' : 'site configuration (kalki.yaml)'),
          fact('Credentials', d.credentials?.username ? `user ${d.credentials.username} (password kept on the appliance)` : 'none stored'),
          fact('MUD file', d.mud ? h('span', { class: 'mono', id: 'device-mud' }, d.mud) : (d.type ? 'none: the pack\'s egress allow-list' : 'none')),
          d.description ? fact('Description', d.description) : null)),
      chainPanel(d),
      h('div', { class: 'grid two' },
        timelinePanel(withInitialState(d)),
        trafficPanel(d.traffic ?? [], liveTraffic)),
      telemetryPanels(d.telemetry ?? {}),
      reactionsPanel(d.transitions ?? []),
      alertsPanel(d.alerts ?? []));
  }

  let pending = null;
  const refresh = () => {
    clearTimeout(pending);
    pending = setTimeout(async () => {
      try {
        d = await load(name);
        draw();
      } catch (e) {
        if (e.status === 404) replace(body, h('div', { class: 'banner warn' }, 'This device has been deleted.'));
      }
    }, 250);
  };
  const subs = [
    live.on('transition', (t) => {
      if (t.device !== name) return;
      d.state = t.to;
      replace(headState, statePill(d.state, true));
      refresh();
    }),
    live.on('alert', (a) => { if (a.device === name) refresh(); }),
    live.on('device', (x) => { if (x.name === name) refresh(); }),
    live.on('resync', refresh),
    live.on('stats', (st) => {
      const c = st.devices?.[name];
      if (!c) return;
      liveTraffic.push({ time: Date.now(), forwarded: c.forwarded, dropped: c.dropped });
      if (liveTraffic.length > 600) liveTraffic.shift();
      const panel = body.querySelector('#traffic-panel');
      panel?.replaceWith(trafficPanel(d.traffic ?? [], liveTraffic));
    }),
  ];
  return () => { subs.forEach((u) => u()); clearTimeout(pending); };
}

const fact = (k, v) => h('div', {}, h('dt', {}, k), h('dd', {}, v));

function chainPanel(d) {
  const els = d.elements ?? [];
  return h('section', { class: 'panel', 'aria-labelledby': 'chain-title', id: 'chain-panel' },
    h('div', { class: 'panel-head' }, h('h2', { id: 'chain-title' }, 'Chain in force'),
      h('div', { class: 'right' }, d.image ? h('span', { class: 'badge outline' }, `image ${d.image}`) : null, d.state ? h('span', { class: 'muted small' }, `for state ${d.state}`) : null)),
    els.length === 0 ? h('div', { class: 'mono small' }, d.chain ?? '—') : h('div', { class: 'pipeline', role: 'list' },
      h('span', { class: 'pipe-end' }, 'frames in'),
      els.map((e) => [h('span', { class: 'pipe-arrow', 'aria-hidden': 'true' }, '→'),
        h('div', { class: 'element', role: 'listitem', dataset: { element: e.name } },
          h('div', { class: 'name' }, e.name), e.kind && e.kind !== e.name ? h('div', { class: 'kind' }, e.kind) : null,
          h('div', { class: 'ctr' },
            h('span', {}, 'forwarded'), h('span', {}, count(e.forwarded)),
            h('span', {}, 'dropped'), h('span', { class: e.dropped ? 'drop' : '' }, count(e.dropped)),
            h('span', {}, 'alerts'), h('span', { class: e.alerts ? 'alerts' : '' }, count(e.alerts))))]),
      h('span', { class: 'pipe-arrow', 'aria-hidden': 'true' }, '→'), h('span', { class: 'pipe-end' }, 'out')),
    els.length && d.chain ? h('details', {}, h('summary', {}, 'Chain text'), h('pre', { class: 'mono small' }, d.chain)) : null);
}

/**
 * The state history plus the state the device was in before its first recorded change (from that change's
 * "from"), drawn from the device's earliest traffic or alert.
 */
function withInitialState(d) {
  const states = [...(d.states ?? [])];
  const first = [...(d.transitions ?? [])].sort((a, b) => millis(a.time) - millis(b.time))[0];
  if (!first) return states;
  const firstChange = millis(first.time);
  const earliest = Math.min(...[...(d.traffic ?? []), ...(d.alerts ?? [])].map((x) => millis(x.time)).filter((x) => x !== null && x < firstChange), firstChange - 1000);
  if (!states.some((x) => millis(x.since) < firstChange)) states.push({ state: first.from, since: earliest * 1000 });
  return states;
}

function timelinePanel(states) {
  const items = [...states].sort((a, b) => millis(a.since) - millis(b.since));
  return h('section', { class: 'panel', 'aria-labelledby': 'timeline-title' }, h('h2', { id: 'timeline-title' }, 'State timeline'), stateTimeline(items),
    h('table', { class: 'compact' }, h('tbody', {}, items.slice(-5).reverse().map((x, i, arr) => {
      const until = i === 0 ? Date.now() : millis(arr[i - 1].since);
      return h('tr', {}, h('td', {}, statePill(x.state)), h('td', { class: 'nowrap', title: dateTime(x.since) }, `since ${clock(x.since)}`),
        h('td', { class: 'num muted' }, `${duration((until - millis(x.since)) * 1000)}${i === 0 ? ' so far' : ''}`));
    }))));
}

/**
 * Forwarded and dropped frames per second. The history's points are counters when they only grow and counts
 * per interval otherwise; the live stream's are counters.
 */
function trafficPanel(history, livePoints) {
  const read = (list) => list.map((p) => ({ t: millis(p.time), f: Number(p.forwarded), d: Number(p.dropped) })).filter((p) => p.t !== null).sort((a, b) => a.t - b.t);
  const hist = read(history);
  const cumulative = hist.length > 2 && hist.every((p, i) => i === 0 || (p.f >= hist[i - 1].f && p.d >= hist[i - 1].d));
  const fw = [], dr = [];
  const rates = (pts, counters) => {
    for (let i = 1; i < pts.length; i++) {
      const dt = Math.max(0.001, (pts[i].t - pts[i - 1].t) / 1000);
      fw.push({ t: pts[i].t, v: (counters ? pts[i].f - pts[i - 1].f : pts[i].f) / dt });
      dr.push({ t: pts[i].t, v: (counters ? pts[i].d - pts[i - 1].d : pts[i].d) / dt });
    }
  };
  rates(hist, cumulative);
  rates(read(livePoints), true);
  const series = [{ name: 'forwarded', colour: '#0f766e', points: fw }, { name: 'dropped', colour: '#dc2626', points: dr }];
  return h('section', { class: 'panel', 'aria-labelledby': 'traffic-title', id: 'traffic-panel' },
    h('div', { class: 'panel-head' }, h('h2', { id: 'traffic-title' }, 'Traffic'), h('div', { class: 'right muted small' }, 'frames per second')),
    legend(series), lineChart(series, { width: 560, height: 170, label: 'frames forwarded and dropped per second' }));
}

function telemetryPanels(telemetry) {
  const names = Object.keys(telemetry);
  if (names.length === 0) return h('section', { class: 'panel' }, h('h2', {}, 'Telemetry'), h('div', { class: 'muted' }, 'No sensor readings yet.'));
  return h('section', { 'aria-labelledby': 'telemetry-title' }, h('h2', { id: 'telemetry-title' }, 'Telemetry'),
    h('div', { class: 'grid three' }, names.map((sensor) => {
      const raw = telemetry[sensor] ?? [];
      const isBool = raw.length > 0 && raw.every((p) => typeof p.value === 'boolean' || p.value === 'true' || p.value === 'false');
      const numeric = isBool || raw.every((p) => typeof p.value === 'number' || (p.value !== '' && !Number.isNaN(Number(p.value))));
      const last = raw.at(-1);
      const head = h('div', { class: 'panel-head' }, h('h2', {}, sensor), h('div', { class: 'right' }, last ? h('span', { class: 'badge outline' }, `now ${String(last.value)}`) : null));
      if (!numeric) {
        return h('div', { class: 'panel', dataset: { sensor } }, head, h('table', {}, h('tbody', {},
          raw.slice(-6).reverse().map((p) => h('tr', {}, h('td', { class: 'muted nowrap' }, clock(p.time)), h('td', { class: 'mono' }, String(p.value)))))));
      }
      const points = raw.map((p) => ({ t: millis(p.time), v: isBool ? Number(p.value === true || p.value === 'true') : Number(p.value) })).filter((p) => p.t !== null);
      return h('div', { class: 'panel', dataset: { sensor } }, head,
        lineChart([{ name: sensor, colour: '#2563eb', points }], { width: 360, height: 140, step: isBool, label: `${sensor} over time`, yFormat: isBool ? (v) => (v >= 1 ? 'true' : v <= 0 ? 'false' : '') : undefined }));
    })));
}

function reactionsPanel(transitions) {
  const rows = [...transitions].sort((a, b) => millis(b.time) - millis(a.time));
  return h('section', { class: 'panel flush', 'aria-labelledby': 'reactions-title' },
    h('div', { class: 'table-tools' }, h('h2', { id: 'reactions-title' }, 'State changes and their reaction traces')),
    rows.length === 0 ? h('div', { class: 'empty' }, 'No state change yet.') : h('div', { class: 'table-wrap' }, h('table', { id: 'transitions' },
      h('thead', {}, h('tr', {}, ['Time', 'Change', 'Rule', 'Reaction', 'Trace: STIMULUS → TRIGGER → REACT → FINISH'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows.map((t) => h('tr', {},
        h('td', { class: 'nowrap' }, clock(t.time, true)),
        h('td', { class: 'nowrap' }, statePill(t.from), ' → ', statePill(t.to)),
        h('td', { class: 'mono' }, t.rule ?? '—'),
        h('td', { class: 'num nowrap' }, duration(t.reactionMicros)),
        h('td', {}, trace(t.stages ?? []))))))));
}

/** The four stages as a proportional bar plus the time between each and the next. */
function trace(stages) {
  const by = new Map(stages.map((x) => [String(x.stage).toUpperCase(), x]));
  const t = STAGES.map((st) => micros(by.get(st)?.time));
  if (t.some((x) => x === null)) return h('span', { class: 'muted' }, stages.map((x) => x.stage).join(' → ') || 'no trace');
  const gaps = [t[1] - t[0], t[2] - t[1], t[3] - t[2]].map((x) => Math.max(0, x));
  const total = gaps.reduce((a, b) => a + b, 0) || 1;
  const bar = h('div', { class: 'trace', role: 'img', 'aria-label': `total ${duration(total)}` });
  gaps.forEach((g, i) => {
    const seg = h('span', { class: `s${i + 1}`, title: `${STAGES[i]} → ${STAGES[i + 1]}: ${duration(g)}` });
    seg.style.width = `${Math.max(2, (g / total) * 100)}%`;
    bar.append(seg);
  });
  return h('div', {}, bar, h('div', { class: 'stages' }, STAGES.map((st, i) => h('div', { title: by.get(st)?.info ?? '' },
    h('b', {}, st), i === 0 ? clock(by.get(st).time, true) : h('span', { class: 'dur' }, `+${duration(gaps[i - 1])}`),
    by.get(st)?.info ? h('span', { class: 'sub muted' }, by.get(st).info) : null))));
}

function alertsPanel(alerts) {
  const rows = [...alerts].sort((a, b) => millis(b.time) - millis(a.time));
  return h('section', { class: 'panel flush', 'aria-labelledby': 'alerts-title' },
    h('div', { class: 'table-tools' }, h('h2', { id: 'alerts-title' }, 'Alert history'), h('span', { class: 'muted small' }, `${rows.length} shown`)),
    rows.length === 0 ? h('div', { class: 'empty' }, 'No alerts.') : h('div', { class: 'table-wrap' }, h('table', { id: 'alerts' },
      h('thead', {}, h('tr', {}, ['Time', 'Type', 'Count', 'Source', 'Element', 'Detail'].map((c) => h('th', { scope: 'col', class: c === 'Count' ? 'num' : '' }, c)))),
      h('tbody', {}, rows.map((a) => h('tr', {},
        h('td', { class: 'nowrap', title: dateTime(a.time) }, clock(a.time, true)),
        h('td', {}, h('span', { class: 'badge bad' }, a.type)),
        h('td', { class: 'num' }, count(a.count ?? 1)),
        h('td', { class: 'mono' }, a.source ?? '—'),
        h('td', { class: 'mono' }, a.element ?? '—'),
        h('td', {}, a.info ?? '')))))));
}

async function resetDialog(d) {
  const reason = h('textarea', { rows: 3, name: 'reason', placeholder: 'e.g. camera firmware updated and password changed' });
  const choice = await dialog(`Reset ${d.name}`, h('div', {},
    h('p', {}, 'The device returns to its initial state and gets that state\'s chain. The reset is written to the audit log with your user name.'),
    field('reset-reason', 'Reason', reason)), [
    { label: 'Cancel', value: 'cancel' },
    { label: 'Reset state', value: 'reset', class: 'primary' }]);
  if (choice !== 'reset') return;
  try {
    await post(`/api/devices/${enc(d.name)}/reset`, reason.value.trim() ? { reason: reason.value.trim() } : {});
    toast(`Reset of ${d.name} queued; its state changes as soon as the control loop applies it.`);
  } catch (e) {
    toast(`Reset refused: ${e.message}`, 'error');
  }
}

async function editDialog(d) {
  const packs = await get('/api/packs');
  const inputs = deviceInputs(d);
  const type = h('select', { name: 'type' },
    d.type ? null : h('option', { value: '' }, 'fixed chain (keep)'),
    packs.map((p) => h('option', { value: p.name, selected: p.name === d.type }, p.name)));
  const error = h('div', { class: 'form-error', role: 'alert' });
  const form = h('div', { class: 'form-grid' },
    field('edit-name', 'Name', inputs.name),
    field('edit-type', 'Device type', type),
    field('edit-mac', 'MAC address', inputs.mac),
    field('edit-ips', 'IP addresses', inputs.ips, 'Comma-separated'),
    h('div', { class: 'wide' }, field('edit-description', 'Description', inputs.description)),
    field('edit-user', 'Device user name', inputs.username),
    field('edit-pass', 'Device password', inputs.password, 'Never shown: enter it to keep the device credentials; clear both to remove them'),
    h('div', { class: 'wide' }, error));
  await dialog(`Edit ${d.name}`, form, [
    { label: 'Cancel', value: 'cancel' },
    { label: 'Save', value: 'save', class: 'primary', check: async () => {
      error.textContent = '';
      const policy = type.value ? { type: type.value } : d.image ? { image: d.image } : { chain: d.chain };
      try {
        const saved = await put(`/api/devices/${enc(d.name)}`, deviceBody(inputs, policy));
        toast(`${saved?.name ?? d.name} saved; in force from the next frame.`);
        if (saved?.name && saved.name !== d.name) location.hash = `#/devices/${encodeURIComponent(saved.name)}`;
        else window.dispatchEvent(new HashChangeEvent('hashchange'));
        return true;
      } catch (e) {
        const left = showFieldErrors(e, inputs, { type });
        error.textContent = left.length || !e.fields.length ? [e.message, ...left].join(' · ') : '';
        return false;
      }
    } }]);
}

async function deleteDialog(d) {
  const choice = await dialog(`Delete ${d.name}?`, h('p', {},
    'From the next frame its traffic is treated as an unknown device (the site\'s unknown-devices rule). Its history stays in the store.'), [
    { label: 'Cancel', value: 'cancel' },
    { label: 'Delete device', value: 'delete', class: 'danger solid' }]);
  if (choice !== 'delete') return;
  try {
    await del(`/api/devices/${enc(d.name)}`);
    toast(`${d.name} deleted.`);
    location.hash = '#/';
  } catch (e) {
    toast(`Delete refused: ${e.message}`, 'error');
  }
}
