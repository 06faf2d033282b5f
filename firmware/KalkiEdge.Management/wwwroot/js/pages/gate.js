// What the setup and sign-in cards share.
import { h, s } from '../dom.js';

export function brand() {
  return h('div', { class: 'brand' },
    s('svg', { 'aria-hidden': 'true', viewBox: '0 0 24 24', width: 26, height: 26 },
      s('path', { d: 'M12 2 3 6v6c0 5 3.8 9.3 9 10 5.2-.7 9-5 9-10V6l-9-4z', fill: 'currentColor' }),
      s('path', { d: 'm8 12 3 3 5-6', stroke: '#fff', 'stroke-width': 2, fill: 'none' })),
    h('span', {}, 'KalkiEdge'));
}
