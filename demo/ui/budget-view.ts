/** The latency budget answer: the most accurate pretrained model that meets it here. */
import { pickForBudget } from '../lib/budget';
import type { CatalogEntry } from '../lib/catalog';
import { weightsAdvice } from '../lib/catalog';
import { formatMs, modelName } from '../lib/format';
import type { LatencyRow } from '../lib/latency-results';
import { el } from './dom';

export function renderBudget(
  out: HTMLElement,
  budget: number,
  rows: readonly LatencyRow[],
  catalog: readonly CatalogEntry[],
): void {
  out.replaceChildren();
  if (rows.length === 0) {
    out.textContent = 'Run a measurement first.';
    return;
  }
  if (!(budget > 0)) {
    out.textContent = 'Enter a budget in ms (a positive number).';
    return;
  }
  const top1 = new Map(catalog.flatMap((e) => (e.top1 === null ? [] : [[e.id, e.top1] as const])));
  const timings = rows.map((r) => ({
    modelId: r.modelId,
    config: r.configLabel,
    medianMs: r.medianMs,
  }));
  const { pick, fastest, candidates } = pickForBudget(timings, top1, budget);
  if (candidates.length === 0) {
    out.textContent =
      'None of the measured models has a published accuracy (models/models.json) to rank by.';
  } else if (pick) {
    const packed = catalog.find((e) => e.id === pick.modelId)?.pack;
    out.append(
      el('strong', undefined, modelName(pick.modelId)),
      ` on ${pick.config}: ${formatMs(pick.medianMs)} median, ${pick.top1} % ImageNet top-1 — ` +
        `the most accurate pretrained model measured here that meets ${budget} ms.`,
      packed ? '' : ` Timed with synthetic weights; ${weightsAdvice(pick.modelId)}`,
    );
  } else if (fastest) {
    out.textContent =
      `No measured model meets ${budget} ms on this device; the fastest with a published accuracy ` +
      `is ${modelName(fastest.modelId)} on ${fastest.config} at ${formatMs(fastest.medianMs)}.`;
  }
}
