import { describe, expect, it } from 'vitest';
import { SplitGauge } from '../../src/backend/split-gauge';

/** Runs `count` inferences through the gauge, each taking `split` or `alone` ms as it says. */
function run(gauge: SplitGauge, count: number, split: number, alone: number): boolean[] {
  const ways: boolean[] = [];
  for (let i = 0; i < count; i++) {
    const splits = gauge.splits();
    ways.push(splits);
    gauge.record(splits ? split : alone);
  }
  return ways;
}

describe('network split gauge', () => {
  it('alternates while it probes, then holds splits where they are faster', () => {
    const gauge = new SplitGauge();
    const probe = run(gauge, 20, 10, 16);
    expect(probe).toEqual(probe.map((_, i) => i % 2 === 0));
    expect(gauge.holding).toBe(null);
    gauge.splits(); // weighs the probe's last inference
    expect(gauge.holding).toBe('split');
    expect(run(gauge, 150, 10, 16).every((s) => s)).toBe(true);
  });

  it('holds alone where split inferences are slower (a small network), and probes again later', () => {
    const gauge = new SplitGauge();
    run(gauge, 20, 3.4, 3);
    const held = run(gauge, 199, 3.4, 3);
    expect(gauge.holding).toBe('alone');
    expect(held.every((s) => !s)).toBe(true);
    // After the hold (200), a shorter probe (its first pair unweighed) alternates again.
    const next = run(gauge, 16, 3.4, 3);
    expect(next.slice(1, 5)).toEqual([true, false, true, false]);
  });

  it('weighs the probe by medians: one stalled split inference does not decide', () => {
    const gauge = new SplitGauge();
    let n = 0;
    for (let i = 0; i < 20; i++) {
      const splits = gauge.splits();
      // The 10th inference (a split one, weighed) stalls at 40 ms.
      gauge.record(splits ? (++n === 5 ? 40 : 10) : 16);
    }
    gauge.splits();
    expect(gauge.holding).toBe('split');
  });

  it('ends a split hold early when the machine gets busy and splits turn slow', () => {
    const gauge = new SplitGauge();
    run(gauge, 21, 10, 16); // holds split; the alone median is 16
    const busy = run(gauge, 30, 25, 17);
    expect(busy.slice(0, 4).every((s) => s)).toBe(true); // 4 slow splits end the hold…
    expect(busy).toContain(false); // …and the probe that follows runs alone too
    run(gauge, 20, 25, 17);
    expect(gauge.holding).toBe('alone');
  });

  it('doubles a hold that a probe confirms', () => {
    const gauge = new SplitGauge();
    run(gauge, 20, 3.4, 3); // first probe: 20 inferences
    let ways = run(gauge, 200 + 14, 3.4, 3); // hold 200, second probe (1 + 6 pairs)
    expect(ways.slice(0, 200).every((s) => !s)).toBe(true);
    ways = run(gauge, 400, 3.4, 3); // the confirmed hold lasts 400
    expect(ways.every((s) => !s)).toBe(true);
    expect(gauge.holding).toBe('alone');
  });
});
