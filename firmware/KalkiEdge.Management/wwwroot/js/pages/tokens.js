// API tokens for scripts (Authorization: Bearer ...). A token is shown once, when it is created.
import { dialog, h, labelled, replace, toast, fieldError } from '../dom.js';
import { del, enc, get, post } from '../api.js';
import { ago, dateTime } from '../format.js';
import { pageHead } from '../table.js';

export async function render(main) {
  const tokens = await get('/api/tokens');
  const name = h('input', { type: 'text', name: 'name', placeholder: 'e.g. backup-script', autocomplete: 'off', maxlength: 64 });
  const created = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'row', onsubmit: async (e) => {
    e.preventDefault();
    fieldError(name, null);
    if (!name.value.trim()) return fieldError(name, 'Name the token after what will use it.');
    try {
      const t = await post('/api/tokens', { name: name.value.trim() });
      replace(created, h('div', { class: 'banner ok' }, h('div', { class: 'stack' },
        h('strong', {}, `Token "${t.name}" created. Copy it now: it is not shown again.`),
        h('div', { class: 'secret', id: 'new-token' }, t.token),
        h('div', { class: 'row' }, h('button', { type: 'button', class: 'btn small', onclick: () => navigator.clipboard?.writeText(t.token).then(() => toast('Copied.')) }, 'Copy'),
          h('span', { class: 'muted small' }, 'Use it as: Authorization: Bearer <token>')))));
      name.value = '';
      await drawList();
    } catch (err) {
      fieldError(name, err.fields?.[0]?.message ?? err.message);
    }
  } }, h('div', { class: 'field', style: null }, labelled('token-name', 'New token', name)), h('button', { type: 'submit', class: 'btn primary' }, 'Create token'));
  const list = h('div');
  replace(main,
    pageHead('API tokens', 'For scripts and monitoring: they authenticate like a signed-in user, without a password.'),
    h('section', { class: 'panel' }, form, created),
    h('section', { class: 'panel flush' }, list));
  await drawList(tokens);

  async function drawList(rows) {
    rows ??= await get('/api/tokens');
    replace(list, h('div', { class: 'table-tools' }, h('h2', {}, 'Tokens')), rows.length === 0 ? h('div', { class: 'empty' }, 'No API tokens.') :
      h('div', { class: 'table-wrap' }, h('table', { id: 'tokens' },
        h('thead', {}, h('tr', {}, ['Name', 'Created', 'Last used'].map((c) => h('th', { scope: 'col' }, c)), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
        h('tbody', {}, rows.map((t) => h('tr', {},
          h('td', {}, h('strong', {}, t.name)),
          h('td', { class: 'nowrap' }, dateTime(t.created)),
          h('td', { class: 'nowrap' }, t.lastUsed ? ago(t.lastUsed) : 'never'),
          h('td', { class: 'num' }, h('button', { type: 'button', class: 'btn danger small', onclick: async () => {
            const ok = await dialog(`Revoke "${t.name}"?`, h('p', {}, 'Scripts using it are refused from now on.'), [{ label: 'Cancel', value: 'no' }, { label: 'Revoke', value: 'yes', class: 'danger solid' }]);
            if (ok !== 'yes') return;
            try { await del(`/api/tokens/${enc(t.id)}`); toast(`Token "${t.name}" revoked.`); await drawList(); } catch (err) { toast(err.message, 'error'); }
          } }, 'Revoke'))))))));
  }
}
