// First visit: create the administrator account with the one-time token the appliance printed at start.
import { h, labelled, fieldError, replace } from '../dom.js';
import { ApiError, post } from '../api.js';
import { brand } from './gate.js';

export function renderSetup(root, done) {
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const user = h('input', { type: 'text', name: 'username', autocomplete: 'username', value: 'admin', required: true });
  const pass = h('input', { type: 'password', name: 'password', autocomplete: 'new-password', required: true, minlength: 12 });
  const again = h('input', { type: 'password', name: 'confirm', autocomplete: 'new-password', required: true });
  const tok = h('input', { type: 'text', name: 'token', autocomplete: 'off', value: token, required: true, spellcheck: 'false' });
  const error = h('div', { class: 'form-error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'btn primary' }, 'Create administrator');
  const form = h('form', { novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    error.textContent = '';
    [user, pass, again, tok].forEach((i) => fieldError(i, null));
    if (pass.value.length < 12) return fieldError(pass, 'Use at least 12 characters.');
    if (pass.value !== again.value) return fieldError(again, 'The two passwords differ.');
    if (!tok.value.trim()) return fieldError(tok, 'The setup token is printed by the appliance at start (console and log).');
    submit.disabled = true;
    try {
      await post('/api/setup', { username: user.value.trim(), password: pass.value, token: tok.value.trim() }, { quiet401: true });
      history.replaceState(null, '', '/');
      done();
    } catch (err) {
      submit.disabled = false;
      const fields = err instanceof ApiError ? err.fields : [];
      const inputs = { username: user, password: pass, token: tok };
      for (const f of fields) if (inputs[f.field]) fieldError(inputs[f.field], f.message);
      if (fields.length === 0) error.textContent = err.message;
    }
  } },
  labelled('setup-user', 'Administrator user name', user),
  labelled('setup-pass', 'Password', pass, 'At least 12 characters. There is no default password and no recovery without the appliance console.'),
  labelled('setup-again', 'Repeat the password', again),
  labelled('setup-token', 'Setup token', tok, token ? 'Taken from the setup link the appliance printed.' : 'Printed by the appliance at start, in the setup link.'),
  error,
  h('div', { class: 'form-actions' }, submit));
  replace(root, h('section', { class: 'gate-card', 'aria-labelledby': 'setup-title' },
    brand(),
    h('h1', { id: 'setup-title' }, 'Set up this appliance'),
    h('p', { class: 'lead' }, 'Create the administrator account. Until you do, the dashboard and its API answer nobody.'),
    form));
  (token ? pass : tok).focus();
}
