/**
 * Whether splitting a network's WASM kernels over the page's kernel pool pays, measured on
 * its own inferences. A layer that runs 1.5× faster split over two cores in isolation may
 * not inside a small network: waking the workers, their taking a core from the page and
 * the browser, and the caller's cache holding the layer's input cost more than the splits
 * save (FD-MobileNet 0.5× on 2 cores: 2 threads ran 0.84–0.98× as fast as 1 in Firefox,
 * while EfficientNet-B0 ran 1.4–1.6× as fast). And a machine whose other cores are busy
 * makes every split lose: a worker descheduled holding a slice keeps the caller waiting.
 *
 * So a probe alternates split and alone inferences (its first pair unweighed: it may find
 * the workers asleep; a model's first probe skips FIRST_PROBE_SKIPPED pairs, which run
 * while the engine's optimizing tiers still compile), compares their medians, and the
 * faster way holds for a while; each probe that confirms the last doubles the hold (a probe
 * runs the slower way half the time). A split hold ends early when split inferences slower
 * than the probe's alone median outnumber the faster ones by SLOW_SPLITS (the machine got
 * busy).
 */

import { median } from '../numeric';

/** What a pooled network's backendReason adds while it holds its kernels alone (threads.ts). */
export const SPLIT_LOSS_NOTE =
  "webnets' kernels on 1: measured faster here than split over the pool";

/** Inferences of each way a probe weighs, and the pairs before them it does not. */
const PROBE_WEIGHED = 6;
const PROBE_SKIPPED = 1;
const FIRST_PROBE_SKIPPED = 4;
/** Inferences the first hold of a decision lasts; doubled per confirming probe, up to MAX_HOLD. */
const FIRST_HOLD = 200;
const MAX_HOLD = 12_800;
/** How many more split inferences slower than the probe's alone median than faster end a split hold. */
const SLOW_SPLITS = 4;

export class SplitGauge {
  private hold: 'split' | 'alone' | null = null;
  /** Inferences left in the probe (counting down: even ones split, odd ones alone) or the hold. */
  private left = 2 * (PROBE_WEIGHED + FIRST_PROBE_SKIPPED);
  private readonly split: number[] = [];
  private readonly alone: number[] = [];
  /** The last probe's median time alone (ms). */
  private aloneMs = 0;
  private slowSplits = 0;
  /** Inferences the next hold of the same decision lasts. */
  private holdLength = FIRST_HOLD;
  /** The last probe's decision (null after a split hold ended early). */
  private decided: 'split' | 'alone' | null = null;
  /** The running inference: whether it splits, and its time (ms; −1 before the first). */
  private runSplits = false;
  private runMs = -1;

  /** What the last probe found, while its hold lasts; null while probing. */
  get holding(): 'split' | 'alone' | null {
    return this.hold;
  }

  /**
   * Whether the next inference splits (asked once per inference, before it runs; the one
   * before it is weighed now).
   */
  splits(): boolean {
    if (this.runMs >= 0) this.weigh(this.runSplits, this.runMs);
    this.runSplits = this.hold === null ? this.left % 2 === 0 : this.hold === 'split';
    this.runMs = -1;
    return this.runSplits;
  }

  /** The running inference's time (ms). */
  record(ms: number): void {
    this.runMs = ms;
  }

  private weigh(split: boolean, ms: number): void {
    if (this.hold === null) {
      if (this.left <= 2 * PROBE_WEIGHED) (split ? this.split : this.alone).push(ms);
      if (--this.left === 0) this.decide();
      return;
    }
    if (this.hold === 'split') {
      this.slowSplits = Math.max(0, this.slowSplits + (ms > this.aloneMs ? 1 : -1));
      if (this.slowSplits >= SLOW_SPLITS) {
        this.left = 1; // probe now, and hold what it finds only FIRST_HOLD
        this.decided = null;
      }
    }
    if (--this.left === 0) this.probeAgain();
  }

  private decide(): void {
    this.aloneMs = median(this.alone);
    // Split unless split inferences were slower: a wrong 'alone' costs a large network
    // most of what threads give, a wrong 'split' a small one little.
    this.hold = median(this.split) <= this.aloneMs ? 'split' : 'alone';
    this.holdLength =
      this.hold === this.decided ? Math.min(2 * this.holdLength, MAX_HOLD) : FIRST_HOLD;
    this.decided = this.hold;
    this.left = this.holdLength;
    this.slowSplits = 0;
  }

  private probeAgain(): void {
    this.hold = null;
    this.left = 2 * (PROBE_WEIGHED + PROBE_SKIPPED);
    this.split.length = 0;
    this.alone.length = 0;
  }
}
