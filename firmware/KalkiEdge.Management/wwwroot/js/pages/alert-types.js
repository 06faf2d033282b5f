// The alert types the appliance can raise, where each comes from, and what it means.
import { h, replace } from '../dom.js';
import { get } from '../api.js';
import { filterTable, pageHead } from '../table.js';

export async function render(main) {
  const types = await get('/api/alert-types');
  replace(main,
    pageHead('Alert types', 'Names that policies\' conditions use (when: {alert: NAME}).'),
    filterTable({
      id: 'alert-types', title: 'Alert types', rows: types, text: (t) => `${t.name} ${t.source} ${t.description}`,
      columns: [
        { label: 'Name', cell: (t) => h('span', { class: 'badge bad' }, t.name) },
        { label: 'Source', cell: (t) => h('span', { class: 'mono' }, t.source ?? '—') },
        { label: 'Meaning', cell: (t) => t.description ?? '' },
      ],
    }));
}
