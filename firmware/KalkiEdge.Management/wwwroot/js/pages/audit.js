// The audit log: who did what, newest first.
import { h, replace } from '../dom.js';
import { get } from '../api.js';
import { dateTime } from '../format.js';
import { filterTable, pageHead } from '../table.js';

export async function render(main, _params, limit = 200) {
  const entries = await get(`/api/audit?limit=${limit}`);
  const more = h('select', { 'aria-label': 'Entries to load', onchange: (e) => render(main, _params, Number(e.target.value)) },
    [100, 200, 1000, 5000].map((n) => h('option', { value: n, selected: n === limit }, `last ${n}`)));
  replace(main,
    pageHead('Audit log', 'Operator actions, configuration changes and sign-ins, with who did them.'),
    filterTable({
      id: 'audit', title: 'Entries', rows: entries, text: (e) => `${e.actor} ${e.action} ${e.detail}`, tools: [more],
      columns: [
        { label: 'Time', class: 'nowrap', cell: (e) => dateTime(e.time) },
        { label: 'Actor', cell: (e) => h('span', { class: 'mono' }, e.actor ?? '—') },
        { label: 'Action', cell: (e) => h('span', { class: 'badge outline' }, e.action) },
        { label: 'Detail', cell: (e) => e.detail ?? '' },
      ],
    }));
}
