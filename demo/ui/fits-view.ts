/** The latency fits table: per backend, latency fitted to MACs, activations, or both. */
import type { ConfigFits } from '../lib/latency-results';
import { el } from './dom';

const num = (x: number | undefined, digits: number): string =>
  x === undefined ? '—' : x.toFixed(digits);
const pct = (x: number | null): string => (x === null ? '—' : `${(x * 100).toFixed(1)} %`);

export function renderFits(body: HTMLTableSectionElement, fits: readonly ConfigFits[]): void {
  const rows: HTMLTableRowElement[] = [];
  for (const group of fits) {
    // The best measure for this backend: the lowest leave-one-out error.
    const scored = group.fits.filter((f) => f.fit?.looRelativeError != null);
    const best = scored.sort(
      (x, y) => (x.fit?.looRelativeError ?? 0) - (y.fit?.looRelativeError ?? 0),
    )[0];
    group.fits.forEach((f, i) => {
      const tr = el('tr');
      if (i === 0) {
        const th = el('th', 'text', group.configLabel);
        th.scope = 'rowgroup';
        th.rowSpan = group.fits.length;
        tr.append(th);
      }
      const label =
        f.predictors.map((p) => (p === 'macs' ? 'a·MACs' : 'b·activations')).join(' + ') + ' + c';
      const name = el('td', 'text', label);
      if (f === best) name.append(' ', el('span', 'badge pretrained', 'best predictor'));
      tr.append(name);
      if (f.fit) {
        tr.append(
          el('td', undefined, num(f.fit.a, 2)),
          el('td', undefined, num(f.fit.b, 3)),
          el('td', undefined, num(f.fit.c, 2)),
          el('td', undefined, f.fit.r2.toFixed(3)),
          el('td', undefined, pct(f.fit.meanRelativeError)),
          el('td', undefined, pct(f.fit.looRelativeError)),
        );
      } else {
        const count = /needs at least (\d+) models, got (\d+)/.exec(f.reason ?? '');
        const why = el(
          'td',
          'text muted',
          count
            ? `Needs at least ${count[1]} models on this backend; ${count[2]} measured.`
            : (f.reason ?? ''),
        );
        why.colSpan = 6;
        tr.append(why);
      }
      rows.push(tr);
    });
  }
  if (rows.length === 0) {
    const td = el(
      'td',
      'text muted',
      'The fits appear after a run (at least 3 models per backend).',
    );
    td.colSpan = 8;
    const tr = el('tr');
    tr.append(td);
    rows.push(tr);
  }
  body.replaceChildren(...rows);
}
