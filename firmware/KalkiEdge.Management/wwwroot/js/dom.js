// Builds DOM nodes from data without ever parsing strings as HTML: device names, alert text and YAML come from
// the network and must never become markup.
const SVG = 'http://www.w3.org/2000/svg';

function build(el, props, children) {
  for (const [k, v] of Object.entries(props ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.setAttribute('class', v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value' && 'value' in el) el.value = v;
    else if (k === 'checked' || k === 'selected' || k === 'disabled' || k === 'hidden') el[k] = Boolean(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** h('div', {class: 'x'}, child, ...) */
export const h = (tag, props, ...children) => build(document.createElement(tag), props, children);

/** The same for SVG elements. */
export const s = (tag, props, ...children) => build(document.createElementNS(SVG, tag), props, children);

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

export function replace(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

/** A device without a pack runs a fixed chain and has no security state: one word for it on every pill and tile. */
const FIXED_CHAIN = 'Fixed chain';

/** The word shown for a device's state: the state, or FIXED_CHAIN when it has none. */
export const stateWord = (state) => state ?? FIXED_CHAIN;

/** A state word with its colour (Normal green, Suspicious amber, Attack red, anything else grey). */
export function statePill(state, big = false) {
  const word = stateWord(state);
  return h('span', { class: `state ${stateClass(word)}${big ? ' big' : ''}`, dataset: { state: word } }, word);
}

export function stateClass(state) {
  const k = String(state ?? '').toLowerCase();
  return k === 'normal' || k === 'suspicious' || k === 'attack' ? k : 'other';
}

export const stateColour = (state) => ({ normal: '#15803d', suspicious: '#d97706', attack: '#dc2626' })[stateClass(state)] ?? '#64748b';

export function toast(message, kind = '') {
  const t = h('div', { class: `toast ${kind}`, dataset: { at: String(Date.now()) } }, message);
  document.getElementById('toasts').append(t);
  setTimeout(() => t.remove(), kind === 'error' ? 8000 : 4000);
}

/** A toast belongs to the page its action was on: leaving that page (more than a moment later) takes it away. */
export function dropStaleToasts() {
  const now = Date.now();
  for (const t of document.querySelectorAll('#toasts .toast')) {
    if (now - Number(t.dataset.at) > 1000) t.remove();
  }
}

/** A modal dialog; resolves with the value of the button pressed (or null when dismissed). */
export function dialog(title, body, buttons) {
  return new Promise((resolve) => {
    const dlg = h('dialog', { 'aria-labelledby': 'dlg-title' },
      h('div', { class: 'dlg-head' }, h('h2', { id: 'dlg-title' }, title)),
      h('div', { class: 'dlg-body' }, body),
      h('div', { class: 'dlg-foot' }, buttons.map((b) => h('button', {
        type: 'button', class: `btn ${b.class ?? ''}`, onclick: async () => {
          if (b.check && !(await b.check())) return;
          dlg.close(b.value);
        },
      }, b.label))));
    dlg.addEventListener('close', () => { resolve(dlg.returnValue || null); dlg.remove(); });
    document.body.append(dlg);
    dlg.showModal();
  });
}

/** Marks a form control as invalid with its message right under it (or clears it with message null). */
export function fieldError(input, message) {
  const wrap = input.closest('.field') ?? input.parentElement;
  wrap.querySelectorAll(':scope > .error').forEach((e) => e.remove());
  if (message) {
    const id = `${input.id || input.name}-error`;
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', id);
    wrap.append(h('div', { class: 'error', id, role: 'alert' }, message));
  } else {
    input.removeAttribute('aria-invalid');
    input.removeAttribute('aria-describedby');
  }
}

export function labelled(id, label, control, hint) {
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hint ? h('div', { class: 'hint' }, hint) : null);
}
