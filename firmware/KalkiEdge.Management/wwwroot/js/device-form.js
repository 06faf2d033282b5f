// The device fields shared by "Add device" and the device page's edit dialog, and the mapping of the server's
// per-field errors back onto them.
import { h, labelled, fieldError } from './dom.js';

/** Inputs for a device; values: an existing device (edit) or defaults (add). */
export function deviceInputs(values = {}) {
  return {
    name: h('input', { type: 'text', name: 'name', value: values.name ?? '', autocomplete: 'off', spellcheck: 'false', required: true }),
    mac: h('input', { type: 'text', name: 'mac', value: values.mac ?? '', autocomplete: 'off', spellcheck: 'false', placeholder: 'e.g. 02:00:00:00:01:10', required: true }),
    ips: h('input', { type: 'text', name: 'ips', value: (values.ips ?? []).join(', '), autocomplete: 'off', spellcheck: 'false', placeholder: 'e.g. 192.0.2.20' }),
    description: h('input', { type: 'text', name: 'description', value: values.description ?? '', autocomplete: 'off' }),
    username: h('input', { type: 'text', name: 'credentials.username', value: values.credentials?.username ?? '', autocomplete: 'off' }),
    password: h('input', { type: 'password', name: 'credentials.password', value: values.credentials?.password ?? '', autocomplete: 'new-password' }),
  };
}

export const field = (id, label, input, hint) => labelled(id, label, input, hint);

/** The request body from the inputs plus the policy (type, image or chain). */
export function deviceBody(inputs, policy) {
  const body = {
    name: inputs.name.value.trim(),
    mac: inputs.mac.value.trim(),
    ips: inputs.ips.value.split(/[\s,]+/).map((x) => x.trim()).filter(Boolean),
    ...policy,
  };
  if (inputs.description.value.trim()) body.description = inputs.description.value.trim();
  if (inputs.username.value.trim() || inputs.password.value) {
    body.credentials = { username: inputs.username.value.trim() };
    if (inputs.password.value) body.credentials.password = inputs.password.value;
  }
  return body;
}

/**
 * Shows each server error next to its input ("ips[1]" goes to the IPs input, "credentials.password" to the
 * password); returns the messages no input could take.
 */
export function showFieldErrors(err, inputs, extra = {}) {
  const all = { ...inputs, ...extra };
  for (const i of Object.values(all)) if (i) fieldError(i, null);
  const left = [];
  let first = null;
  for (const f of err.fields ?? []) {
    const key = String(f.field ?? '');
    const target = all[key] ?? all[key.replace(/^credentials\./, '')] ?? all[key.split(/[.[]/)[0]] ?? { ip: all.ips, credentials: all.password }[key] ?? null;
    if (target) {
      fieldError(target, f.message);
      first ??= target;
    } else {
      left.push(key ? `${key}: ${f.message}` : f.message);
    }
  }
  first?.focus();
  return left;
}
