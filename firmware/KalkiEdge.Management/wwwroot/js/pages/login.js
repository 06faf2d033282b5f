// Sign in. The appliance limits attempts per source address; a 429 says how long to wait.
import { h, labelled, replace } from '../dom.js';
import { ApiError, post } from '../api.js';
import { brand } from './gate.js';

export function renderLogin(root, message, kind, done) {
  const user = h('input', { type: 'text', name: 'username', autocomplete: 'username', required: true });
  const pass = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const error = h('div', { class: 'form-error', role: 'alert', id: 'login-error' });
  const submit = h('button', { type: 'submit', class: 'btn primary' }, 'Sign in');
  const form = h('form', { onsubmit: async (e) => {
    e.preventDefault();
    error.textContent = '';
    submit.disabled = true;
    try {
      await post('/api/login', { username: user.value.trim(), password: pass.value }, { quiet401: true });
      await done();
    } catch (err) {
      pass.value = '';
      if (err instanceof ApiError && err.status === 429) {
        error.textContent = `Too many attempts from this address. Try again in ${err.retryAfter ?? 'a few'} seconds.`;
      } else if (err instanceof ApiError && (err.status === 401 || err.status === 400)) {
        error.textContent = err.message && !/^HTTP/.test(err.message) ? err.message : 'Wrong user name or password.';
      } else {
        error.textContent = err.message;
      }
      pass.focus();
    } finally {
      submit.disabled = false;
    }
  } },
  labelled('login-user', 'User name', user),
  labelled('login-pass', 'Password', pass),
  error,
  h('div', { class: 'form-actions' }, submit));
  replace(root, h('section', { class: 'gate-card', 'aria-labelledby': 'login-title' },
    brand(),
    h('h1', { id: 'login-title' }, 'Sign in'),
    h('p', { class: 'lead' }, 'IoT security appliance management'),
    message ? h('div', { class: `banner ${kind ?? 'info'}`, role: 'status' }, message) : null,
    form,
    h('div', { class: 'gate-foot' }, 'Sessions end when the browser closes or you sign out.')));
  user.focus();
}
