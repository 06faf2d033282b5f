// The μmbox catalogue: every image, its chain, its measurement and whether the signed manifest allows it.
import { h, replace } from '../dom.js';
import { get } from '../api.js';
import { filterTable, pageHead } from '../table.js';

export async function render(main) {
  const images = await get('/api/images');
  const outside = images.filter((i) => !i.inManifest);
  replace(main,
    pageHead('μmbox catalogue', 'Images are measured (SHA-256) at load and on every deployment; only measurements in the signed manifest run.'),
    outside.length ? h('div', { class: 'banner danger', role: 'alert' }, h('strong', {}, `${outside.length} not in the manifest:`),
      ` ${outside.map((i) => i.name).join(', ')}. Deploying them installs block-all instead (fail-closed) until the manifest is re-signed.`) : null,
    filterTable({
      id: 'images', title: 'Images', rows: images, text: (i) => `${i.name} ${i.description} ${i.chain}`,
      columns: [
        { label: 'Image', cell: (i) => [h('strong', {}, i.name), h('span', { class: 'sub' }, `version ${i.version}`)] },
        { label: 'Description', cell: (i) => i.description ?? '' },
        { label: 'Chain', class: 'chain-cell', cell: (i) => h('code', { class: 'small' }, i.chain) },
        { label: 'Measurement', cell: (i) => h('span', { class: 'hash', title: i.measurement }, short(i.measurement)) },
        { label: 'Manifest', cell: (i) => (i.inManifest ? h('span', { class: 'badge good' }, 'signed') : h('span', { class: 'badge bad' }, 'not in manifest')) },
      ],
    }));
}

const short = (m) => (m && m.length > 20 ? `${m.slice(0, 12)}…${m.slice(-6)}` : m ?? '—');
