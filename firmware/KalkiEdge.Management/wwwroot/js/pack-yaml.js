// Reads and edits a device-type pack's YAML as text, so that a form edit changes exactly one line and keeps
// every comment. Knows the block layout packs use (`rules:` as a list of mappings, `chains:` as a mapping); what
// it cannot edit as a field (flow style, multi-line values) stays editable in the YAML itself.
const TOP = /^([A-Za-z][\w-]*):(?:\s(.*))?$/;
const KEY = /^(\s*)(?:- )?([A-Za-z][\w-]*):(?:\s+(.*?))?\s*$/;

/** {rules: [{name, line, end, indent, keys: {key: {line, value, multiline}}}], chains: {state: {line, value}}, chainsFlow} */
export function scan(yaml) {
  const lines = yaml.split('\n');
  const blocks = topBlocks(lines);
  return { lines, rules: rules(lines, blocks.rules), chains: chains(lines, blocks.chains), chainsFlow: Boolean(blocks.chains && blocks.chains.inline) };
}

function topBlocks(lines) {
  const blocks = {};
  let current = null;
  lines.forEach((line, i) => {
    const m = TOP.exec(line);
    if (m) {
      current = { start: i, end: i, inline: (m[2] ?? '').trim() !== '' && !(m[2] ?? '').trim().startsWith('#') };
      blocks[m[1]] = current;
    } else if (current && (line.trim() === '' || /^\s/.test(line) || line.startsWith('#'))) {
      if (line.trim() !== '' && !line.startsWith('#')) current.end = i;
    } else {
      current = null;
    }
  });
  return blocks;
}

function splitComment(text) {
  const m = /^(.*?)(\s+#.*)?$/.exec(text ?? '');
  return { value: (m?.[1] ?? '').trim(), comment: m?.[2] ?? '' };
}

function rules(lines, block) {
  if (!block || block.inline) return [];
  const out = [];
  let item = null;
  let itemIndent = null;
  let lastKey = null;
  for (let i = block.start + 1; i <= block.end; i++) {
    const line = lines[i];
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    const indent = line.length - line.trimStart().length;
    const dash = /^(\s*)- /.exec(line);
    if (dash && (itemIndent === null || dash[1].length === itemIndent - 2)) {
      itemIndent = dash[1].length + 2;
      item = { name: null, line: i, end: i, indent: itemIndent, keys: {} };
      out.push(item);
    }
    if (!item) continue;
    item.end = i;
    const k = KEY.exec(line);
    if (k && (indent === itemIndent || (dash && dash[1].length + 2 === itemIndent))) {
      const { value, comment } = splitComment(k[3]);
      lastKey = { line: i, value, comment, multiline: value === '' || value === '|' || value === '>' };
      item.keys[k[2]] = lastKey;
      if (k[2] === 'name') item.name = value.replace(/^["']|["']$/g, '');
    } else if (lastKey && indent > itemIndent) {
      lastKey.multiline = true;
    }
  }
  return out;
}

function chains(lines, block) {
  const out = {};
  if (!block || block.inline) return out;
  for (let i = block.start + 1; i <= block.end; i++) {
    const k = KEY.exec(lines[i]);
    if (k && !lines[i].trim().startsWith('#')) {
      const { value, comment } = splitComment(k[3]);
      out[k[2]] = { line: i, value, comment };
    }
  }
  return out;
}

/** The YAML with one line's value replaced (comment kept). */
export function setLine(yaml, lineNo, key, value) {
  const lines = yaml.split('\n');
  const k = KEY.exec(lines[lineNo]);
  if (!k) return yaml;
  const { comment } = splitComment(k[3]);
  const prefix = lines[lineNo].slice(0, lines[lineNo].indexOf(key + ':') + key.length + 1);
  lines[lineNo] = `${prefix} ${value}${comment}`;
  return lines.join('\n');
}

/** The YAML with a rule's key set: replaced when present, added as the rule's last line when not, removed when empty. */
export function setRuleKey(yaml, ruleIndex, key, value) {
  const rule = scan(yaml).rules[ruleIndex];
  if (!rule) return yaml;
  const existing = rule.keys[key];
  const lines = yaml.split('\n');
  if (existing && existing.multiline) return yaml;
  if (existing && value === '') {
    if (key === 'name' || existing.line === rule.line) return yaml;
    lines.splice(existing.line, 1);
    return lines.join('\n');
  }
  if (existing) return setLine(yaml, existing.line, key, value);
  if (value === '') return yaml;
  lines.splice(rule.end + 1, 0, `${' '.repeat(rule.indent)}${key}: ${value}`);
  return lines.join('\n');
}

/** States the pack names: chain keys, rule sources and targets, in first-seen order. */
export function graphOf(scanned, known = []) {
  const states = [...known];
  const add = (st) => { if (st && !states.includes(st)) states.push(st); };
  Object.keys(scanned.chains).forEach(add);
  const edges = [];
  for (const r of scanned.rules) {
    const to = r.keys.to?.value;
    const from = listOf(r.keys.from?.value);
    from.forEach(add);
    add(to);
    const priority = Number(r.keys.priority?.value);
    for (const f of from) if (to) edges.push({ from: f, to, rule: r.name, priority: Number.isNaN(priority) ? null : priority });
  }
  return { states, edges };
}

export function listOf(value) {
  if (!value) return [];
  const v = value.trim();
  if (v.startsWith('[')) return v.replace(/^\[|\]$/g, '').split(',').map((x) => x.trim().replace(/^["']|["']$/g, '')).filter(Boolean);
  return [v.replace(/^["']|["']$/g, '')];
}
