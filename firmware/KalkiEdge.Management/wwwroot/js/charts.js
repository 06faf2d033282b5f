// Charts drawn as inline SVG: no chart library, nothing fetched.
import { h, s, stateColour } from './dom.js';
import { clock, compact, millis } from './format.js';

/**
 * A time series chart. series: [{name, colour, points: [{t (ms), v}]}]; step: draw as steps (booleans, counters
 * that hold); label: accessible name.
 */
export function lineChart(series, { width = 640, height = 160, step = false, label = 'chart', yFormat = compact } = {}) {
  const W = width, H = height, L = 44, R = 10, T = 10, B = 22;
  const all = series.flatMap((x) => x.points);
  const svg = s('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label });
  if (all.length === 0) {
    svg.append(s('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle' }, 'no data yet'));
    return svg;
  }
  let t0 = Math.min(...all.map((p) => p.t)), t1 = Math.max(...all.map((p) => p.t));
  if (t1 - t0 < 1000) { t0 -= 500; t1 += 500; }
  let v0 = Math.min(0, ...all.map((p) => p.v)), v1 = Math.max(...all.map((p) => p.v));
  if (v1 === v0) v1 = v0 + 1;
  v1 = niceMax(v1);
  const x = (t) => L + ((t - t0) / (t1 - t0)) * (W - L - R);
  const y = (v) => T + (1 - (v - v0) / (v1 - v0)) * (H - T - B);
  for (let i = 0; i <= 4; i++) {
    const v = v0 + ((v1 - v0) * i) / 4;
    svg.append(s('line', { class: 'grid-line', x1: L, x2: W - R, y1: y(v), y2: y(v) }));
    svg.append(s('text', { x: L - 6, y: y(v) + 3.5, 'text-anchor': 'end' }, yFormat(v)));
  }
  svg.append(s('line', { class: 'axis', x1: L, x2: W - R, y1: H - B, y2: H - B }));
  for (let i = 0; i <= 4; i++) {
    const t = t0 + ((t1 - t0) * i) / 4;
    svg.append(s('text', { x: x(t), y: H - 6, 'text-anchor': i === 0 ? 'start' : i === 4 ? 'end' : 'middle' }, clock(t)));
  }
  for (const ser of series) {
    const pts = [...ser.points].sort((a, b) => a.t - b.t);
    if (pts.length === 0) continue;
    let d = `M${x(pts[0].t).toFixed(1)},${y(pts[0].v).toFixed(1)}`;
    for (let i = 1; i < pts.length; i++) {
      if (step) d += `H${x(pts[i].t).toFixed(1)}`;
      d += `L${x(pts[i].t).toFixed(1)},${y(pts[i].v).toFixed(1)}`;
    }
    if (pts.length > 1 && !step) {
      const area = `${d}L${x(pts.at(-1).t).toFixed(1)},${y(v0)}L${x(pts[0].t).toFixed(1)},${y(v0)}Z`;
      svg.append(s('path', { d: area, fill: ser.colour, 'fill-opacity': '0.08', stroke: 'none' }));
    }
    svg.append(s('path', { d, fill: 'none', stroke: ser.colour, 'stroke-width': 1.8, 'stroke-linejoin': 'round' }));
    const last = pts.at(-1);
    svg.append(s('circle', { cx: x(last.t), cy: y(last.v), r: 2.8, fill: ser.colour },
      s('title', {}, `${ser.name}: ${last.v} at ${clock(last.t)}`)));
  }
  return svg;
}

/** Series names with their colours, above a chart. */
export function legend(series) {
  const el = h('div', { class: 'legend' });
  for (const x of series) {
    const sw = h('i');
    sw.style.background = x.colour;
    el.append(h('span', {}, sw, x.name));
  }
  return el;
}

function niceMax(v) {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return v;
}

/** The device's states over time as coloured bands, from the first known state until now. */
export function stateTimeline(states, now = Date.now()) {
  const W = 560, H = 64, L = 2, R = 2;
  const svg = s('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'state timeline' });
  const items = states.map((x) => ({ state: x.state, t: millis(x.since) })).filter((x) => x.t !== null).sort((a, b) => a.t - b.t);
  if (items.length === 0) {
    svg.append(s('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle' }, 'no state history'));
    return svg;
  }
  const t0 = items[0].t, t1 = Math.max(now, items.at(-1).t + 1000);
  const x = (t) => L + ((t - t0) / (t1 - t0)) * (W - L - R);
  items.forEach((it, i) => {
    const end = i + 1 < items.length ? items[i + 1].t : t1;
    const w = Math.max(2, x(end) - x(it.t));
    svg.append(s('rect', { x: x(it.t), y: 6, width: w, height: 30, fill: stateColour(it.state) },
      s('title', {}, `${it.state} from ${clock(it.t)}`)));
    if (w > 70) svg.append(s('text', { class: 'on-bar', x: x(it.t) + 7, y: 25.5 }, it.state));
    svg.append(s('line', { x1: x(it.t), x2: x(it.t), y1: 36, y2: 44, stroke: '#94a3b8' }));
  });
  const ticks = items.length <= 6 ? items.map((i) => i.t) : [t0, t1];
  let lastX = -100;
  for (const t of ticks) {
    if (x(t) - lastX < 60) continue;
    lastX = x(t);
    svg.append(s('text', { x: x(t), y: 56, 'text-anchor': x(t) > W - 60 ? 'end' : 'start' }, clock(t)));
  }
  if (x(ticks.at(-1)) < W - 80) svg.append(s('text', { x: W - R, y: 56, 'text-anchor': 'end' }, 'now'));
  return svg;
}

/**
 * The policy's state graph: states as nodes in a row (initial first), transitions as labelled arrows — forward
 * ones above, backward ones below, a rule that stays in its state as a loop.
 */
export function stateGraph(graph, initial) {
  const states = [...graph.states];
  if (initial && states.includes(initial)) states.splice(states.indexOf(initial), 1), states.unshift(initial);
  const gap = 240, nodeW = 132, nodeH = 44, padX = 30;
  const W = padX * 2 + nodeW + gap * Math.max(0, states.length - 1);
  const edges = (graph.edges ?? []).filter((e) => states.includes(e.from) && states.includes(e.to));
  const cy = 0;
  const cx = (st) => padX + nodeW / 2 + states.indexOf(st) * gap;
  const svg = s('svg', { class: 'graph', role: 'img', 'aria-label': `state graph: ${states.join(', ')}; ${edges.length} transitions` });
  const defs = s('defs');
  for (const st of states) {
    defs.append(s('marker', { id: `arrow-${st}`, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
      s('path', { d: 'M0,0L10,5L0,10z', fill: stateColour(st) })));
  }
  svg.append(defs);
  const seen = new Map();
  const placed = [];
  let minY = -nodeH / 2 - 10, maxY = nodeH / 2 + 22;
  const labels = [];
  for (const e of edges) {
    const key = `${e.from}|${e.to}`;
    const k = seen.get(key) ?? 0;
    seen.set(key, k + 1);
    const x1 = cx(e.from), x2 = cx(e.to);
    const span = Math.abs(x2 - x1) / gap;
    const hgt = 48 + span * 26 + k * 40;
    let d, lx, ly, dir;
    if (e.from === e.to) {
      const r = 20 + k * 14, top = cy - nodeH / 2;
      d = `M${x1 + 24},${top} C${x1 + 24 + r},${top - r * 2.2} ${x1 + 62 + r},${top - r * 1.2} ${x1 + nodeW / 2},${cy - 8}`;
      lx = x1 + 70 + r; ly = top - r * 1.5; dir = -1;
    } else if (x2 > x1) {
      const ya = cy - nodeH / 2;
      d = `M${x1 + 16},${ya} C${x1 + 16},${ya - hgt} ${x2 - 16},${ya - hgt} ${x2 - 16},${ya}`;
      lx = (x1 + x2) / 2; ly = ya - hgt * 0.75; dir = -1;
    } else {
      const yb = cy + nodeH / 2;
      d = `M${x1 - 16},${yb} C${x1 - 16},${yb + hgt} ${x2 + 16},${yb + hgt} ${x2 + 16},${yb}`;
      lx = (x1 + x2) / 2; ly = yb + hgt * 0.75; dir = 1;
    }
    svg.append(s('path', { d, fill: 'none', stroke: stateColour(e.to), 'stroke-width': 1.8, 'marker-end': `url(#arrow-${e.to})`, 'data-rule': e.rule },
      s('title', {}, `${e.rule}: ${e.from} → ${e.to}, priority ${e.priority ?? '—'}`)));
    const text = `${e.rule}${e.priority !== undefined && e.priority !== null ? ` · p${e.priority}` : ''}`;
    const w = text.length * 6.3 + 14;
    // Labels never overlap: move one away from the nodes until it is clear of those already placed.
    while (placed.some((p) => Math.abs(p.x - lx) < (p.w + w) / 2 + 4 && Math.abs(p.y - ly) < 21)) ly += 22 * dir;
    placed.push({ x: lx, y: ly, w });
    labels.push({ lx, ly, w, text });
    minY = Math.min(minY, ly - 14, dir < 0 ? cy - nodeH / 2 - hgt * 0.75 - 4 : minY);
    maxY = Math.max(maxY, ly + 14, dir > 0 ? cy + nodeH / 2 + hgt * 0.75 + 4 : maxY);
  }
  for (const l of labels) {
    svg.append(s('rect', { class: 'edge-label-bg', x: l.lx - l.w / 2, y: l.ly - 10, width: l.w, height: 19, rx: 9.5, stroke: '#e2e8f0' }));
    svg.append(s('text', { class: 'edge-label', x: l.lx, y: l.ly + 4, 'text-anchor': 'middle' }, l.text));
  }
  for (const st of states) {
    const x = cx(st) - nodeW / 2, y = cy - nodeH / 2;
    const colour = stateColour(st);
    const g = s('g', { 'data-state': st });
    g.append(s('rect', { x, y, width: nodeW, height: nodeH, rx: 10, fill: '#fff', stroke: colour, 'stroke-width': st === initial ? 3 : 2 }));
    g.append(s('circle', { cx: x + 18, cy, r: 5.5, fill: colour }));
    g.append(s('text', { class: 'node-label', x: x + 31, y: cy + 4.5, fill: '#0f172a' }, st));
    if (st === initial) g.append(s('text', { x: cx(st), y: y + nodeH + 15, 'text-anchor': 'middle', fill: '#64748b', 'font-size': 11 }, 'initial state'));
    svg.append(g);
  }
  const right = Math.max(W, ...labels.map((l) => l.lx + l.w / 2 + 6));
  svg.setAttribute('viewBox', `0 ${minY - 6} ${right} ${maxY - minY + 12}`);
  svg.setAttribute('width', '100%');
  svg.style.maxHeight = `${Math.max(160, (maxY - minY) * 1.1)}px`;
  return svg;
}
