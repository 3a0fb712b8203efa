/**
 * "Which model should I use on this device if a frame may take B ms?": the most accurate
 * pretrained model whose measured median latency meets the budget.
 *
 * Latency does not depend on the weights' values, so models timed with synthetic weights
 * count; accuracy is the published ImageNet top-1 of the pretrained checkpoint
 * (models/models.json), so only models that have one are candidates.
 */

/** One model measured on one backend configuration. */
export interface TimedModel {
  modelId: string;
  /** The backend configuration it ran on (e.g. 'wasm · 2 threads'). */
  config: string;
  medianMs: number;
}

export interface BudgetCandidate extends TimedModel {
  /** Published ImageNet top-1, percent. */
  top1: number;
}

export interface BudgetAnswer {
  /** The most accurate candidate within budget (ties: the faster one); null if none. */
  pick: BudgetCandidate | null;
  /** When nothing meets the budget: the fastest candidate, to say how far off it is. */
  fastest: BudgetCandidate | null;
  /** Models with a published accuracy that were measured, each on its fastest configuration. */
  candidates: BudgetCandidate[];
}

/** Each model's fastest configuration, joined with its published accuracy. */
export function bestPerModel(
  timings: readonly TimedModel[],
  top1: ReadonlyMap<string, number>,
): BudgetCandidate[] {
  const best = new Map<string, BudgetCandidate>();
  for (const t of timings) {
    const acc = top1.get(t.modelId);
    if (acc === undefined || !Number.isFinite(t.medianMs)) continue;
    const seen = best.get(t.modelId);
    if (!seen || t.medianMs < seen.medianMs) best.set(t.modelId, { ...t, top1: acc });
  }
  return [...best.values()];
}

export function pickForBudget(
  timings: readonly TimedModel[],
  top1: ReadonlyMap<string, number>,
  budgetMs: number,
): BudgetAnswer {
  if (!(budgetMs > 0))
    throw new Error(`latency budget must be a positive number of ms, got ${budgetMs}`);
  const candidates = bestPerModel(timings, top1);
  const byAccuracyThenSpeed = (x: BudgetCandidate, y: BudgetCandidate): number =>
    y.top1 - x.top1 || x.medianMs - y.medianMs;
  const within = candidates.filter((c) => c.medianMs <= budgetMs).sort(byAccuracyThenSpeed);
  const pick = within[0] ?? null;
  const fastest = pick
    ? null
    : ([...candidates].sort((x, y) => x.medianMs - y.medianMs)[0] ?? null);
  return { pick, fastest, candidates };
}
