// A filterable, dense table for the catalogue pages.
import { h, replace } from './dom.js';

/** columns: [{label, cell: (row) => node|string, num?}]; text: (row) => string searched by the filter. */
export function filterTable({ id, title, rows, columns, text, empty = 'Nothing here yet.', tools = [] }) {
  const tbody = h('tbody');
  const shown = h('span', { class: 'muted small' });
  const draw = (q) => {
    const visible = rows.filter((r) => !q || text(r).toLowerCase().includes(q));
    replace(tbody, visible.length ? visible.map((r) => h('tr', {}, columns.map((c) => h('td', { class: c.num ? 'num' : c.class ?? '' }, c.cell(r)))))
      : h('tr', {}, h('td', { colspan: columns.length, class: 'empty' }, rows.length ? 'Nothing matches the filter.' : empty)));
    shown.textContent = `${visible.length} of ${rows.length}`;
  };
  draw('');
  return h('section', { class: 'panel flush', 'aria-labelledby': `${id}-title` },
    h('div', { class: 'table-tools' }, h('h2', { id: `${id}-title` }, title),
      h('input', { type: 'search', placeholder: 'Filter…', 'aria-label': `Filter ${title}`, oninput: (e) => draw(e.target.value.toLowerCase()) }), shown, ...tools),
    h('div', { class: 'table-wrap' }, h('table', { id }, h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : '' }, c.label)))), tbody)));
}

export const pageHead = (title, sub, ...actions) => h('div', { class: 'page-head' },
  h('div', {}, h('h1', {}, title), sub ? h('div', { class: 'sub' }, sub) : null),
  actions.length ? h('div', { class: 'actions' }, actions) : null);
