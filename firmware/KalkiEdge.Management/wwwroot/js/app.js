// Start-up and navigation: first-visit setup, sign-in, then the pages under hash routes (#/devices/NAME, ...),
// so the appliance serves one index.html and no route needs server-side knowledge.
import { dropStaleToasts, h, replace } from './dom.js';
import { ApiError, forgetSession, get, loadSession, onUnauthorized, post } from './api.js';
import * as live from './live.js';
import { renderSetup } from './pages/setup.js';
import { renderLogin } from './pages/login.js';

const routes = [
  { re: /^\/?$/, nav: 'overview', load: () => import('./pages/overview.js') },
  { re: /^\/devices\/new$/, nav: 'add', load: () => import('./pages/add-device.js') },
  { re: /^\/devices\/([^/]+)$/, nav: 'overview', load: () => import('./pages/device.js') },
  { re: /^\/policies(?:\/([^/]+))?$/, nav: 'policies', load: () => import('./pages/policy.js') },
  { re: /^\/umboxes$/, nav: 'umboxes', load: () => import('./pages/umboxes.js') },
  { re: /^\/alert-types$/, nav: 'alert-types', load: () => import('./pages/alert-types.js') },
  { re: /^\/ips-rules$/, nav: 'ips-rules', load: () => import('./pages/ips-rules.js') },
  { re: /^\/audit$/, nav: 'audit', load: () => import('./pages/audit.js') },
  { re: /^\/settings$/, nav: 'settings', load: () => import('./pages/settings.js') },
  { re: /^\/tokens$/, nav: 'tokens', load: () => import('./pages/tokens.js') },
  { re: /^\/update$/, nav: 'update', load: () => import('./pages/update.js') },
];

const shell = document.getElementById('shell');
const gate = document.getElementById('gate');
const main = document.getElementById('main');
let cleanup = null;
let generation = 0;

onUnauthorized(() => showLogin('Your session has ended. Sign in again.'));

async function start() {
  try {
    const setup = await get('/api/setup', { quiet401: true });
    if (setup?.needed) return showSetup();
    await loadSession();
    showApp();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return showLogin();
    replace(gate, h('div', { class: 'gate-card' }, h('h1', {}, 'The appliance did not answer'), h('p', { class: 'lead' }, e.message)));
    gate.hidden = false;
  }
}

function showSetup() {
  shell.hidden = true;
  gate.hidden = false;
  document.title = 'Set up · KalkiEdge';
  renderSetup(gate, () => showLogin('Administrator account created. Sign in with it.', 'ok'));
}

function showLogin(message, kind) {
  live.disconnect();
  forgetSession();
  cleanup?.();
  cleanup = null;
  shell.hidden = true;
  gate.hidden = false;
  document.title = 'Sign in · KalkiEdge';
  renderLogin(gate, message, kind, async () => {
    await loadSession();
    showApp();
  });
}

function showApp() {
  gate.hidden = true;
  replace(gate);
  shell.hidden = false;
  document.getElementById('user-name').textContent = '';
  get('/api/session').then((s) => { document.getElementById('user-name').textContent = s.username; }).catch(() => {});
  connectLive();
  if (location.pathname !== '/' && location.pathname !== '/index.html') history.replaceState(null, '', '/' + location.hash);
  route();
}

/** The live stream; when it is refused, the session is checked (a 401 leads to sign-in) and the stream reopened. */
function connectLive() {
  live.connect(document.getElementById('live-status'), () => setTimeout(async () => {
    if (shell.hidden) return;
    try {
      await get('/api/session');
      connectLive();
    } catch (e) {
      if (e.status !== 401) connectLive(); // a 401 has already shown the sign-in page
    }
  }, 3000));
}

async function route() {
  if (shell.hidden) return;
  const path = decodeURIComponent(location.hash.replace(/^#/, '')) || '/';
  const match = routes.map((r) => ({ r, m: r.re.exec(path) })).find((x) => x.m);
  cleanup?.();
  cleanup = null;
  dropStaleToasts();
  const mine = ++generation;
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.nav === match?.r.nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.getElementById('nav').classList.remove('open');
  if (!match) {
    replace(main, h('div', { class: 'panel empty' }, 'No such page. ', h('a', { href: '#/' }, 'Back to the overview')));
    return;
  }
  replace(main, h('div', { class: 'muted' }, 'Loading…'));
  try {
    const page = await match.r.load();
    if (mine !== generation) return;
    const result = await page.render(main, match.m.slice(1).map((p) => p && decodeURIComponent(p)));
    if (mine !== generation) { result?.(); return; }
    cleanup = result ?? null;
    const h1 = main.querySelector('h1');
    document.title = `${h1?.textContent ?? 'KalkiEdge'} · KalkiEdge`;
    main.focus({ preventScroll: true });
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;
    if (mine !== generation) return;
    replace(main, h('div', { class: 'banner danger', role: 'alert' }, h('strong', {}, 'Could not load this page.'), ' ', e.message));
  }
}

document.getElementById('logout').addEventListener('click', async () => {
  try { await post('/api/logout'); } catch { /* signed out either way */ }
  showLogin('You are signed out.', 'ok');
});
document.getElementById('nav-toggle').addEventListener('click', (e) => {
  const nav = document.getElementById('nav');
  nav.classList.toggle('open');
  e.currentTarget.setAttribute('aria-expanded', String(nav.classList.contains('open')));
});
window.addEventListener('hashchange', route);
start();
