// Policy editor per device type: the state graph drawn from the rules, the chain per state from the μmbox
// catalogue, every rule's fields, and the YAML they all edit. Save sends the YAML to the appliance, whose
// PackChecker (the one `kalki-edge check` runs) accepts it — in force at once — or returns each error with its
// line, shown next to the field on that line and in the YAML's margin. YAML whose `type:` names another type (an
// imported file, or a copy renamed here) is imported instead: a new device type, usable by Add device at once.
import { fieldError, h, replace, toast } from '../dom.js';
import { ApiError, enc, get, post, put } from '../api.js';
import { stateGraph } from '../charts.js';
import { graphOf, scan, setLine, setRuleKey } from '../pack-yaml.js';

const RULE_FIELDS = [
  { key: 'from', label: 'From state(s)', hint: 'Normal or [Normal, Suspicious]' },
  { key: 'to', label: 'To state' },
  { key: 'priority', label: 'Priority' },
  { key: 'window', label: 'Window', hint: 'e.g. 30s, 10min' },
  { key: 'when', label: 'When (condition)', wide: true },
  { key: 'commands', label: 'Commands', wide: true },
];

export async function render(main, [name]) {
  const packs = await get('/api/packs');
  if (!name) {
    if (packs.length === 0) {
      replace(main, h('h1', {}, 'Policies'), h('div', { class: 'panel empty' }, 'No device-type packs are installed.'));
      return null;
    }
    location.replace(`#/policies/${encodeURIComponent(packs[0].name)}`);
    return null;
  }
  const [detail, images] = await Promise.all([get(`/api/packs/${enc(name)}`), get('/api/images').catch(() => [])]);
  const info = packs.find((p) => p.name === name) ?? {};
  let saved = detail.yaml;
  let yaml = detail.yaml;
  let errors = [];

  const graphBox = h('div');
  const chainsBox = h('div');
  const rulesBox = h('div', { id: 'rules' });
  const status = h('span', { class: 'muted small', 'aria-live': 'polite' });
  const errorsBox = h('div', { id: 'pack-errors', role: 'alert' });
  const gutter = h('div', { class: 'gutter', 'aria-hidden': 'true' });
  const editor = h('textarea', { id: 'pack-yaml', spellcheck: 'false', 'aria-label': `${name} pack YAML`, wrap: 'off' });
  editor.value = yaml;
  let typing = null;
  editor.addEventListener('input', () => {
    yaml = editor.value;
    drawGutter();
    clearTimeout(typing);
    typing = setTimeout(() => { drawGraph(); drawChains(); drawRules(); markDirty(); }, 350);
  });
  editor.addEventListener('scroll', () => { gutter.scrollTop = editor.scrollTop; });

  const saveBtn = h('button', { type: 'button', class: 'btn primary', id: 'save-pack', onclick: save }, 'Check and save');
  const discardBtn = h('button', { type: 'button', class: 'btn', onclick: () => load(saved, 'Changes discarded.') }, 'Discard changes');
  const importInput = h('input', { type: 'file', accept: '.yaml,.yml,text/yaml', hidden: true, onchange: async (e) => {
    const file = e.target.files?.[0];
    if (!file) return;
    if (file.size > 256 * 1024) return toast('That file is larger than 256 KiB; a pack is a few KiB.', 'error');
    load(await file.text(), `Loaded ${file.name}: not in force until it passes the check and is saved.`);
    e.target.value = '';
  } });

  replace(main,
    h('div', { class: 'page-head' },
      h('div', {}, h('div', { class: 'crumbs' }, 'Policies'), h('h1', {}, `Policy: ${name}`), h('div', { class: 'sub' }, info.description ?? '')),
      h('div', { class: 'actions' },
        h('a', { class: 'btn', href: `/api/packs/${enc(name)}/export`, download: `${name}.yaml` }, 'Export YAML'),
        h('button', { type: 'button', class: 'btn', onclick: () => importInput.click() }, 'Import YAML…'), importInput)),
    h('div', { class: 'policy-layout' },
      h('nav', { class: 'panel flush', 'aria-label': 'Device types' }, h('ul', { class: 'pack-list' }, packs.map((p) => h('li', {},
        h('a', { href: `#/policies/${encodeURIComponent(p.name)}`, 'aria-current': p.name === name ? 'page' : null }, p.name, h('span', {}, `${(p.states ?? []).length} states`)))))),
      h('div', { class: 'stack' },
        h('section', { class: 'panel', 'aria-labelledby': 'graph-title' },
          h('div', { class: 'panel-head' }, h('h2', { id: 'graph-title' }, 'State graph'),
            h('div', { class: 'right small muted' }, `initial state ${info.initialState ?? '—'} · sensors: ${(info.sensors ?? []).map((x) => `${x.name} (${x.kind})`).join(', ') || 'none'}`)),
          graphBox),
        h('div', { class: 'panel-head' }, saveBtn, discardBtn, status),
        errorsBox,
        h('div', { class: 'grid two' },
          h('section', { class: 'panel', 'aria-labelledby': 'chains-title' }, h('h2', { id: 'chains-title' }, 'Chain per state'), chainsBox),
          h('section', { class: 'panel', 'aria-labelledby': 'facts-title' }, h('h2', { id: 'facts-title' }, 'Pack'),
            h('dl', { class: 'kv' },
              h('dt', {}, 'Commands'), h('dd', {}, (info.commands ?? []).join(', ') || '—'),
              h('dt', {}, 'Sensors'), h('dd', {}, (info.sensors ?? []).map((x) => `${x.name}: ${x.kind}`).join(', ') || '—'),
              h('dt', {}, 'States'), h('dd', {}, (info.states ?? detail.graph?.states ?? []).join(', '))))),
        h('section', { class: 'panel', 'aria-labelledby': 'rules-title' },
          h('div', { class: 'panel-head' }, h('h2', { id: 'rules-title' }, 'Rules'), h('div', { class: 'right small muted' }, 'highest priority wins; each field edits its line of the YAML')),
          rulesBox),
        h('section', { class: 'panel', 'aria-labelledby': 'yaml-title' },
          h('div', { class: 'panel-head' }, h('h2', { id: 'yaml-title' }, 'YAML'), h('div', { class: 'right small muted' }, 'the whole pack, as exported')),
          h('div', { class: 'yaml-editor' }, gutter, editor)))));
  drawAll();

  function load(text, message) {
    yaml = text;
    editor.value = text;
    errors = [];
    drawAll();
    markDirty();
    if (message) toast(message);
  }

  function drawAll() { drawGraph(); drawChains(); drawRules(); drawGutter(); drawErrors(); markDirty(); }

  function markDirty() {
    const dirty = yaml !== saved;
    const other = typeIn(yaml);
    discardBtn.disabled = !dirty;
    saveBtn.textContent = other && other !== name ? `Check and import as '${other}'` : 'Check and save';
    status.textContent = !dirty ? 'In force on every device of this type.'
      : other && other !== name ? `This YAML defines type '${other}': saving imports it (a new device type, or a replacement of '${other}'); '${name}' stays as it is.`
      : 'Unsaved changes: not in force until they pass the check.';
  }

  function drawGraph() {
    const scanned = scan(yaml);
    const g = graphOf(scanned, detail.graph?.states ?? []);
    replace(graphBox, g.states.length ? stateGraph(g, info.initialState) : h('div', { class: 'muted' }, 'No states.'));
  }

  function drawChains() {
    const scanned = scan(yaml);
    if (scanned.chainsFlow || Object.keys(scanned.chains).length === 0) {
      replace(chainsBox, h('p', { class: 'muted' }, 'The chains are written in flow style; edit them in the YAML below.'));
      return;
    }
    replace(chainsBox, h('table', {}, h('tbody', {}, Object.entries(scanned.chains).map(([state, c]) => {
      const known = images.some((i) => i.name === c.value);
      const select = h('select', { id: `chain-${state}`, 'aria-label': `Chain for ${state}`, dataset: { line: c.line + 1 }, onchange: (e) => {
        yaml = setLine(yaml, scan(yaml).chains[state].line, state, e.target.value);
        editor.value = yaml;
        drawGutter();
        markDirty();
      } },
      known ? null : h('option', { value: c.value, selected: true }, `${c.value} (not in the catalogue)`),
      images.map((i) => h('option', { value: i.name, selected: i.name === c.value }, `${i.name} v${i.version}${i.inManifest ? '' : ' — not in manifest'}`)));
      return h('tr', {}, h('th', { scope: 'row' }, h('span', { class: `state ${state.toLowerCase()}` }, state)), h('td', {}, h('div', { class: 'field' }, select)));
    }))));
    showErrorsOnFields();
  }

  function drawRules() {
    const scanned = scan(yaml);
    if (scanned.rules.length === 0) {
      replace(rulesBox, h('p', { class: 'muted' }, 'No rules: devices of this type never change state.'));
      return;
    }
    replace(rulesBox, scanned.rules.map((r, idx) => h('div', { class: 'rule-card', dataset: { rule: r.name ?? idx, first: r.line + 1, last: r.end + 1 } },
      h('div', { class: 'head' }, h('span', { class: 'name' }, r.name ?? `rule ${idx + 1}`), h('span', { class: 'muted small' }, `lines ${r.line + 1}–${r.end + 1}`),
        extraKeys(r).length ? h('span', { class: 'badge outline' }, `also: ${extraKeys(r).join(', ')}`) : null),
      h('div', { class: 'rule-fields' }, RULE_FIELDS.map((f) => {
        const k = r.keys[f.key];
        const id = `rule-${idx}-${f.key}`;
        const input = h('input', { type: 'text', id, name: f.key, value: k?.value ?? '', spellcheck: 'false', readonly: k?.multiline ? true : null,
          dataset: { line: k ? k.line + 1 : '', rule: idx, key: f.key }, placeholder: f.key === 'commands' ? 'none' : '' });
        input.addEventListener('input', () => {
          yaml = setRuleKey(yaml, idx, f.key, input.value.trim());
          editor.value = yaml;
          fieldError(input, null);
          drawGutter();
          drawGraph();
          markDirty();
          const now = scan(yaml).rules[idx]?.keys[f.key];
          input.dataset.line = now ? now.line + 1 : '';
        });
        return h('div', { class: `field${f.wide ? ' wide' : ''}` }, h('label', { for: id }, f.label), input,
          k?.multiline ? h('div', { class: 'hint' }, 'Spans several lines: edit it in the YAML') : f.hint ? h('div', { class: 'hint' }, f.hint) : null);
      })))));
    showErrorsOnFields();
  }

  function drawGutter() {
    const bad = new Set(errors.map((e) => e.line).filter(Boolean));
    const n = yaml.split('\n').length;
    replace(gutter, Array.from({ length: n }, (_, i) => [bad.has(i + 1) ? h('span', { class: 'bad', title: errors.filter((e) => e.line === i + 1).map((e) => e.message).join('\n') }, String(i + 1)) : String(i + 1), '\n']));
    gutter.scrollTop = editor.scrollTop;
  }

  function drawErrors() {
    if (errors.length === 0) { replace(errorsBox); return; }
    replace(errorsBox, h('div', { class: 'banner danger' }, h('div', {},
      h('strong', {}, `The check rejected this policy (${errors.length} ${errors.length === 1 ? 'error' : 'errors'}); nothing was changed on the appliance.`),
      h('ul', { class: 'errors-list' }, errors.map((e) => h('li', {}, e.line ? h('button', { type: 'button', onclick: () => goToLine(e.line) }, `line ${e.line}${e.column ? `:${e.column}` : ''}`) : null,
        e.line ? ': ' : '', e.field && !e.line ? `${e.field}: ` : '', e.message))))));
  }

  /** Each error goes under the form field on its line, or on its rule's card when no field matches. */
  function showErrorsOnFields() {
    main.querySelectorAll('.rule-card').forEach((c) => { c.classList.remove('has-error'); c.querySelectorAll(':scope > .field-error').forEach((x) => x.remove()); });
    for (const e of errors) {
      const byField = /rules\[(\d+)\]\.(\w+)/.exec(e.field ?? '');
      let input = byField ? main.querySelector(`#rule-${byField[1]}-${byField[2]}`) : null;
      if (!input && e.line) input = main.querySelector(`.rule-card input[data-line="${e.line}"], select[data-line="${e.line}"]`);
      if (input) {
        fieldError(input, e.message);
        input.closest('.rule-card')?.classList.add('has-error');
        continue;
      }
      const card = e.line ? [...main.querySelectorAll('.rule-card')].find((c) => e.line >= Number(c.dataset.first) && e.line <= Number(c.dataset.last)) : null;
      // An error on the rule's first line that quotes a field's value belongs to that field.
      const quoted = card ? [...card.querySelectorAll('input')].find((i) => i.value && new RegExp(`['"‘“]${escapeRe(i.value)}['"’”]`).test(e.message)) : null;
      if (quoted) {
        fieldError(quoted, e.message);
        card.classList.add('has-error');
        continue;
      }
      if (card) {
        card.classList.add('has-error');
        card.append(h('div', { class: 'field-error', role: 'alert' }, `line ${e.line}: ${e.message}`));
      }
    }
  }

  function goToLine(line) {
    const lines = yaml.split('\n');
    const start = lines.slice(0, line - 1).reduce((a, l) => a + l.length + 1, 0);
    editor.focus();
    editor.setSelectionRange(start, start + (lines[line - 1]?.length ?? 0));
    editor.scrollTop = Math.max(0, (line - 5) * 18.75);
  }

  async function save() {
    saveBtn.disabled = true;
    status.textContent = 'Checking…';
    try {
      const other = typeIn(yaml);
      if (other && other !== name) {
        const imported = await post('/api/packs', { yaml });
        saved = yaml; // leaving the page must not ask about changes that are now saved elsewhere
        toast(`${imported.name} imported: a device type you can pick in Add device now.`);
        location.hash = `#/policies/${encodeURIComponent(imported.name)}`;
        return;
      }
      await put(`/api/packs/${enc(name)}`, { yaml });
      saved = yaml;
      errors = [];
      drawAll();
      toast(`${name} saved: in force on every ${name} device, each keeping its state.`);
    } catch (e) {
      errors = e instanceof ApiError && e.fields.length ? e.fields.map((f) => ({ ...f, line: Number(f.line) || null, column: Number(f.column) || null })) : [{ message: e.message }];
      drawGutter();
      drawErrors();
      drawRules();
      drawChains();
      status.textContent = 'Not saved.';
      main.querySelector('[aria-invalid="true"]')?.focus();
    } finally {
      saveBtn.disabled = false;
    }
  }
}

/** The pack's own `type:` (top level), as the loader reads it for the common plain or quoted forms. */
const typeIn = (text) => /^type:[ \t]*(['"]?)([^'"#\s]+)\1[ \t]*(#.*)?$/m.exec(text)?.[2] ?? null;

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const extraKeys = (r) => Object.keys(r.keys).filter((k) => k !== 'name' && !RULE_FIELDS.some((f) => f.key === k));
