// Site settings: a read-only view of the site configuration's sections (secrets never leave the appliance).
import { h, replace } from '../dom.js';
import { get } from '../api.js';
import { pageHead } from '../table.js';

export async function render(main) {
  const settings = await get('/api/settings');
  const sections = Object.entries(settings ?? {});
  replace(main,
    pageHead('Site settings', 'From the site configuration (kalki.yaml); change them there. Secrets are not shown.'),
    sections.length === 0 ? h('div', { class: 'panel empty' }, 'No site settings.') :
      h('div', { class: 'grid two' }, sections.map(([name, value]) => h('section', { class: 'panel', 'aria-label': name },
        h('h2', {}, Titles[name] ?? name), isObject(value) ? kv(value) : h('div', { class: 'mono' }, show(value))))));
}

const Titles = { site: 'Site', sections: 'Configuration sections' };
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

function kv(obj) {
  return h('dl', { class: 'kv' }, Object.entries(obj).map(([k, v]) => [h('dt', {}, k), h('dd', {}, isObject(v) ? kv(v) : show(v))]));
}

function show(v) {
  if (v === null || v === undefined) return '—';
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(', ') || '—';
  return String(v);
}
