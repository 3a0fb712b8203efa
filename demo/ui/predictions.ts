/** The top-5 list with probability bars. */
import { formatPercent } from '../lib/format';
import type { Classification } from './api';
import { el } from './dom';

export function renderPredictions(list: HTMLOListElement, top: readonly Classification[]): void {
  list.replaceChildren(
    ...top.map((c) => {
      const item = el('li');
      const bar = el('div', 'bar');
      const fill = el('span');
      fill.style.setProperty('--p', String(c.probability));
      bar.append(fill);
      bar.setAttribute('aria-hidden', 'true');
      item.append(
        el('span', 'label', c.label),
        el('span', 'prob', formatPercent(c.probability)),
        bar,
      );
      return item;
    }),
  );
}
