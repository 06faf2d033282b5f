// Firmware update: upload a signed update bundle (.raucb from `make bundle`). The appliance installs it into its
// inactive root slot and keeps the running one as the fallback: the new slot is kept only once the firmware there
// is ready and healthy, otherwise the appliance returns to this version by itself.
import { h, labelled, replace, fieldError } from '../dom.js';
import { currentSession, ApiError } from '../api.js';
import { pageHead } from '../table.js';

const MaxBytes = 2 * 1024 * 1024 * 1024; // BundleInstaller.MaxBundleBytes

export async function render(main) {
  const file = h('input', { type: 'file', name: 'bundle', accept: '.raucb' });
  const reboot = h('input', { type: 'checkbox', name: 'reboot', id: 'update-reboot' });
  const result = h('div', { 'aria-live': 'polite', id: 'update-result' });
  const submit = h('button', { type: 'submit', class: 'btn primary' }, 'Install update');
  const form = h('form', { class: 'stack', onsubmit: async (e) => {
    e.preventDefault();
    fieldError(file, null);
    const bundle = file.files?.[0];
    if (!bundle) return fieldError(file, 'Choose the update bundle (.raucb) to install.');
    if (bundle.size > MaxBytes) return fieldError(file, `${bundle.name} is larger than an update bundle can be.`);
    submit.disabled = true;
    replace(result, h('div', { class: 'banner' }, `Uploading and installing ${bundle.name}… this takes several minutes.`));
    try {
      const done = await upload(bundle, reboot.checked);
      replace(result, h('div', { class: 'banner ok', role: 'status' }, h('strong', {}, 'Installed.'), ' ', done.message));
    } catch (err) {
      replace(result, h('div', { class: 'banner danger', role: 'alert' }, h('strong', {}, 'Not installed.'), ' ', err.message));
    } finally {
      submit.disabled = false;
    }
  } },
  labelled('update-file', 'Update bundle', file, 'Signed by the product\u2019s update key; anything else is refused.'),
  h('label', { class: 'row' }, reboot, ' Reboot into the new version when it is installed'),
  h('div', { class: 'row' }, submit));
  replace(main,
    pageHead('Firmware update', 'The running version stays on the card as the fallback: the new one is kept only once it is ready and healthy.'),
    h('section', { class: 'panel' }, form, result));
}

// The bundle is the request body as it is (no form encoding), with the session's antiforgery token.
async function upload(bundle, reboot) {
  const res = await fetch(`/api/update${reboot ? '?reboot=true' : ''}`, {
    method: 'POST', body: bundle, credentials: 'same-origin', cache: 'no-store',
    headers: { 'Content-Type': 'application/octet-stream', 'X-CSRF-TOKEN': currentSession()?.antiforgeryToken ?? '', Accept: 'application/json' },
  });
  const text = await res.text();
  let body = null;
  try { body = JSON.parse(text); } catch { body = { error: text.trim() || `${res.status} ${res.statusText}` }; }
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}
