// The ips rules in force, per chain (an image and the packs' states that use it, or a device's own chain): sid,
// message, action, inspection (stream: the reassembled TCP stream or the packet; packet: each packet alone) and
// where the rule is written. Read-only: rules change by editing the rule files and re-signing the manifest.
import { h, replace } from '../dom.js';
import { get } from '../api.js';
import { filterTable, pageHead } from '../table.js';

export async function render(main) {
  const sets = await get('/api/ips-rules');
  const total = sets.reduce((n, s) => n + s.rules.length, 0);
  replace(main,
    pageHead('IPS rules', `${total} rules in ${sets.length} chains. Stream rules are matched on the reassembled TCP stream (or the packet); packet rules on each packet alone.`),
    h('div', { id: 'ips-rules' }, sets.length ? sets.map((s, n) => h('div', { class: 'rule-set', 'data-chain': s.chain },
      h('p', { class: 'sub' }, `${s.kind === 'image' ? 'Image' : 'Device chain'}; used by: ${s.usedBy.length ? s.usedBy.join(', ') : 'nothing yet'}`),
      filterTable({
        id: `ips-rules-${n}`, title: s.chain, rows: s.rules, text: (r) => `${r.sid} ${r.message} ${r.action} ${r.inspection} ${r.origin}`,
        columns: [
          { label: 'sid', num: true, cell: (r) => String(r.sid) },
          { label: 'Message', cell: (r) => r.message },
          { label: 'Action', cell: (r) => h('span', { class: r.action === 'drop' ? 'badge bad' : 'badge' }, r.action) },
          { label: 'Inspection', cell: (r) => h('span', { class: 'mono' }, r.inspection) },
          { label: 'Where', cell: (r) => h('span', { class: 'mono small' }, r.origin) },
        ],
      })))
      : h('p', { class: 'empty' }, 'No image or device chain loads ips rules.')));
}
