// Add a device: pick its type from the packs, give it a name, MAC and IP; the pack's complete policy (chains per
// state, rules) protects it from the next frame. Defaults come from the pack, so the usual case takes 5 inputs.
import { fieldError, h, replace, toast } from '../dom.js';
import { enc, get, post } from '../api.js';
import * as live from '../live.js';
import { deviceBody, deviceInputs, field, showFieldErrors } from '../device-form.js';

export async function render(main) {
  const [packs, devices, images, pairingState] = await Promise.all([get('/api/packs'), get('/api/devices'), get('/api/images').catch(() => []),
    get('/api/pairing').catch(() => null)]);
  const inputs = deviceInputs();
  const pairing = pairingPanel(pairingState);
  const image = h('select', { name: 'image' }, h('option', { value: '' }, '— none —'), images.map((i) => h('option', { value: i.name }, `${i.name} (v${i.version})`)));
  const chain = h('textarea', { name: 'chain', rows: 2, placeholder: 'firewall(default: drop, rules: [...]) -> ips(rules: camera.rules)' });
  const summary = h('div', { class: 'panel', 'aria-live': 'polite', id: 'policy-summary' });
  const error = h('div', { class: 'form-error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'btn primary', id: 'add-submit' }, 'Add device');
  let picked = null;
  let suggested = '';
  const detailCache = new Map();

  const cards = h('div', { class: 'packs', role: 'radiogroup', 'aria-label': 'Device type' }, packs.map((p) => h('label', { class: 'pack', dataset: { pack: p.name } },
    h('input', { type: 'radio', name: 'type', value: p.name, onchange: () => pick(p) }),
    h('span', { class: 't' }, p.name),
    h('span', { class: 'd' }, p.description ?? ''),
    h('span', { class: 'chips' }, (p.states ?? []).map((st) => h('span', { class: 'badge outline' }, st)),
      (p.sensors ?? []).length ? h('span', { class: 'badge' }, `${p.sensors.length} sensor${p.sensors.length === 1 ? '' : 's'}`) : null))));

  async function pick(p) {
    picked = p;
    image.value = '';
    chain.value = '';
    const defaults = p.defaults ?? {};
    if (!inputs.name.value || inputs.name.value === suggested) {
      suggested = uniqueName(defaults.name ?? p.name, devices);
      inputs.name.value = suggested;
    }
    const user = defaults.credentials?.username ?? defaults.username;
    if (user && !inputs.username.value) inputs.username.value = user;
    if (!inputs.description.value && p.description) inputs.description.value = p.description;
    replace(summary, h('div', { class: 'muted' }, `Loading the ${p.name} policy…`));
    try {
      if (!detailCache.has(p.name)) detailCache.set(p.name, await get(`/api/packs/${enc(p.name)}`));
      if (picked === p) drawSummary(p, detailCache.get(p.name));
    } catch (e) {
      replace(summary, h('div', { class: 'form-error' }, e.message));
    }
  }

  function drawSummary(p, detail) {
    const chains = Object.entries(detail.chains ?? {});
    replace(summary,
      h('h2', {}, `Protected by the ${p.name} policy`),
      h('ul', { class: 'protects' },
        h('li', {}, `Starts in `, h('strong', {}, p.initialState ?? chains[0]?.[0] ?? '—'), ` with chain `, h('code', {}, detail.chains?.[p.initialState] ?? chains[0]?.[1] ?? '—')),
        chains.map(([st, img]) => h('li', {}, `${st}: `, h('code', {}, img))),
        h('li', {}, `${(detail.rules ?? []).length} rules: `, (detail.rules ?? []).map((r) => r.name).join(', ')),
        (p.sensors ?? []).length ? h('li', {}, `Sensors: ${p.sensors.map((x) => x.name).join(', ')}${p.defaults?.sampling ? `, read every ${p.defaults.sampling}` : ''}`) : null,
        (p.commands ?? []).length ? h('li', {}, `Commands: ${p.commands.join(', ')}`) : null),
      h('a', { href: `#/policies/${encodeURIComponent(p.name)}`, class: 'small' }, 'Open this policy in the editor'));
  }

  const form = h('form', { novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    error.textContent = '';
    const policy = picked ? { type: picked.name } : image.value ? { image: image.value } : chain.value.trim() ? { chain: chain.value.trim() } : null;
    if (!policy) {
      error.textContent = 'Pick a device type (or, under "Without a type", an image or a chain).';
      cards.querySelector('input')?.focus();
      return;
    }
    submit.disabled = true;
    try {
      const created = await post('/api/devices', deviceBody(inputs, policy));
      toast(`${created?.name ?? inputs.name.value} added; protected from the next frame.`);
      location.hash = `#/devices/${encodeURIComponent(created?.name ?? inputs.name.value.trim())}`;
    } catch (err) {
      const left = showFieldErrors(err, inputs, { image, chain });
      error.textContent = left.length || !err.fields.length ? [err.message, ...left].join(' · ') : 'Fix the fields marked above.';
    } finally {
      submit.disabled = false;
    }
  } },
  h('div', { class: 'step' }, h('span', { class: 'n' }, '1'), 'Device type'),
  cards,
  h('details', {}, h('summary', {}, 'Without a type: a fixed image or chain (no policy, no state changes)'),
    h('div', { class: 'form-grid' },
      field('add-image', 'μmbox image', image),
      h('div', { class: 'wide' }, field('add-chain', 'or a chain', chain, 'The chain language, checked like kalki-edge check')))),
  h('div', { class: 'step' }, h('span', { class: 'n' }, '2'), 'The device'),
  h('div', { class: 'form-grid' },
    field('add-name', 'Name', inputs.name, 'Letters, digits and dashes; unique on this appliance'),
    field('add-mac', 'MAC address', inputs.mac),
    field('add-ips', 'IP address', inputs.ips, 'More than one: separate with commas'),
    field('add-description', 'Description', inputs.description)),
  h('details', {}, h('summary', {}, 'Device credentials (for its monitor: polls and commands)'),
    h('div', { class: 'form-grid' },
      field('add-user', 'User name', inputs.username),
      field('add-pass', 'Password', inputs.password, 'Stored on the appliance, never shown again'))),
  error,
  h('div', { class: 'form-actions' }, submit, h('a', { class: 'btn ghost', href: '#/' }, 'Cancel')));

  replace(main,
    h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, 'Add a device'),
      h('div', { class: 'sub' }, 'Checked like kalki-edge check, in force from the next frame, kept across restarts.'))),
    pairing.node,
    h('div', { class: 'grid main-side' }, h('section', { class: 'panel' }, form),
      h('aside', {}, summary)));
  replace(summary, h('h2', {}, 'Policy'), h('p', { class: 'muted' }, 'Pick a device type to see the chains and rules that will protect it.'));
  return pairing.stop;
}

/**
 * Pairing, the same window the field panel's button opens: open, extend or close it here; each new device seen
 * while it is open is listed with what its fingerprint says so far, and one click accepts (admits it now with that
 * pack, and with the MUD URL typed beside it, if any) or rejects it (it stays an unknown device). Updated live from
 * the `pairing` event, counting down locally.
 */
function pairingPanel(initial) {
  if (!initial?.available) return { node: null, stop: () => {} };
  let state = initial;
  let fetchedAt = Date.now();
  const body = h('div', { id: 'pairing-body' });
  const node = h('section', { class: 'panel', 'aria-labelledby': 'pairing-title', id: 'pairing' },
    h('div', { class: 'panel-head' }, h('h2', { id: 'pairing-title' }, 'Pairing'),
      h('div', { class: 'right muted small' }, 'the same window as the field panel\'s button')), body);

  const act = async (button, path, done) => {
    button.disabled = true;
    try {
      done(await post(path));
    } catch (err) {
      toast(`Not done: ${err.message}`, 'error');
    } finally {
      button.disabled = false;
    }
  };
  const refresh = async () => {
    try { show(await get('/api/pairing')); } catch { /* the next event or tick tries again */ }
  };
  const left = () => Math.max(0, state.remainingSeconds - Math.floor((Date.now() - fetchedAt) / 1000));
  const status = h('span', { id: 'pairing-status', role: 'status' });

  // Each candidate's MUD URL field outlives the redraws (a verdict firms up as frames arrive): what the
  // administrator typed, and the error under it, stay where they are.
  const mudFields = new Map();
  const mudField = (mac) => {
    if (!mudFields.has(mac)) {
      mudFields.set(mac, h('div', { class: 'field mud-url' }, h('input', {
        type: 'text', inputmode: 'url', name: 'mud', id: `pairing-mud-${mac.replaceAll(':', '')}`, autocomplete: 'off', spellcheck: 'false',
        placeholder: 'https://… (optional)', 'aria-label': `MUD URL for ${mac}`,
      })));
    }
    return mudFields.get(mac);
  };
  const mudInput = (mac) => mudField(mac).querySelector('input');
  const accept = async (button, mac) => {
    const input = mudInput(mac);
    const mud = input.value.trim();
    fieldError(input, null);
    button.disabled = true;
    try {
      const added = await post(`/api/pairing/candidates/${enc(mac)}/accept`, mud ? { mud } : {});
      toast(`${added.device} accepted as ${added.pack}${mud ? ', its egress allowed by the MUD file of ' + mud : ''}; protected from the next frame.`);
      refresh();
    } catch (err) {
      const refused = (err.fields ?? []).find((f) => f.field === 'mud');
      if (refused) {
        fieldError(input, refused.message);
        input.focus();
      } else {
        toast(`Not done: ${err.message}`, 'error');
      }
    } finally {
      button.disabled = false;
    }
  };

  let drawn = '';
  function show(next) {
    state = next;
    fetchedAt = Date.now();
    const open = state.open && left() > 0;
    status.textContent = open ? `open, ${left()} s left` : 'closed';
    // The countdown alone changes each second: redraw only when something else did.
    const key = JSON.stringify([open, state.windowSeconds, state.maxCandidates, state.candidates, state.recent]);
    if (key === drawn) return;
    drawn = key;
    for (const mac of [...mudFields.keys()]) if (!state.candidates.some((c) => c.mac === mac)) mudFields.delete(mac);
    const focused = document.activeElement;
    replace(body,
      h('div', { class: 'form-actions' },
        h('button', { type: 'button', class: 'btn primary', id: 'pairing-open', onclick: (e) => act(e.currentTarget, '/api/pairing/open', show) },
          open ? `Extend by ${state.windowSeconds} s` : `Open for ${state.windowSeconds} s`),
        open ? h('button', { type: 'button', class: 'btn', id: 'pairing-close', onclick: (e) => act(e.currentTarget, '/api/pairing/close', show) }, 'Close') : null,
        h('span', { class: 'muted small' }, 'Pairing ', status, ` · at most ${state.maxCandidates} new devices per window`)),
      state.candidates.length === 0
        ? h('p', { class: 'muted' }, open ? 'Power the new device on now: it appears here as soon as it sends a frame.' : 'No candidates.')
        : h('div', {},
          h('p', { class: 'muted small', id: 'pairing-mud-hint' }, 'MUD URL: the maker\'s, if you know it (https://…). Its MUD file then lists where the device may connect, in place of any URL the device announced.'),
          h('table', { id: 'pairing-candidates' },
          h('thead', {}, h('tr', {}, ['MAC', 'Looks like', 'Confidence', 'Evidence', 'MUD URL', ''].map((t) => h('th', {}, t)))),
          h('tbody', {}, state.candidates.map((c) => h('tr', { dataset: { mac: c.mac } },
            h('td', { class: 'mono' }, c.mac),
            h('td', {}, c.pack, c.needsReview ? h('span', { class: 'badge outline' }, 'needs review') : null),
            h('td', { class: 'num' }, `${c.confidence} %`),
            h('td', { class: 'small' }, c.evidence),
            h('td', {}, mudField(c.mac)),
            h('td', { class: 'num' },
              h('button', { type: 'button', class: 'btn small primary', onclick: (e) => accept(e.currentTarget, c.mac) }, 'Accept'),
              ' ',
              h('button', { type: 'button', class: 'btn small', onclick: (e) => act(e.currentTarget, `/api/pairing/candidates/${enc(c.mac)}/reject`, () => {
                toast(`${c.mac} rejected: it stays an unknown device.`);
                refresh();
              }) }, 'Reject'))))))),
      state.recent.length === 0 ? null : h('div', {}, h('h3', {}, 'Paired recently'),
        h('table', { id: 'pairing-recent' }, h('tbody', {}, state.recent.map((r) => h('tr', {},
          h('td', {}, r.admitted ? h('a', { href: `#/devices/${encodeURIComponent(r.device)}` }, r.device) : r.device),
          h('td', { class: 'mono' }, r.mac),
          h('td', {}, r.pack, r.needsReview ? h('span', { class: 'badge outline' }, 'needs review') : null),
          h('td', { class: 'small' }, r.admitted ? `${r.confidence} %` : `not admitted: ${r.detail}`)))))));
    if (focused !== document.activeElement && body.contains(focused)) focused.focus();
  }

  show(state);
  const unsubscribe = live.on('pairing', show);
  // While the window is open, a candidate's verdict firms up as its frames arrive (no event says so): re-read the
  // state each second then, and only then.
  const timer = setInterval(() => {
    if (state.open) refresh();
  }, 1000);
  return { node, stop: () => { unsubscribe(); clearInterval(timer); } };
}

function uniqueName(base, devices) {
  const taken = new Set(devices.map((d) => d.name));
  for (let i = 1; i < 1000; i++) {
    const name = `${base}-${i}`;
    if (!taken.has(name)) return name;
  }
  return base;
}
