/**
 * The kernel pool's slice claiming (src/kernels/wasm/pool.ts), run on one thread with the
 * other threads' claims interleaved by hand: every slice runs exactly once, a thread starts
 * with its home range (the rows it wrote in the previous kernel), and whatever a late or
 * absent thread leaves is taken by the others.
 */
import { describe, expect, it } from 'vitest';
import {
  CLAIM_SLOTS,
  claimSlices,
  closeSlices,
  doneSlices,
  homeStart,
  newControl,
  openSlices,
  WORKER_SOURCE,
} from '../../src/kernels/wasm/pool';

describe('kernel pool slices', () => {
  it.each([
    [6, 2],
    [7, 3],
    [2, 4],
    [40, 16],
  ])('home ranges of %i slices over %i threads tile the call in order', (parts, team) => {
    const starts = Array.from({ length: team + 1 }, (_, t) => homeStart(t, parts, team));
    expect(starts[0]).toBe(0);
    expect(starts[team]).toBe(parts);
    for (let t = 0; t < team; t++) expect(starts[t + 1]!).toBeGreaterThanOrEqual(starts[t]!);
  });

  it('each thread runs its home range first; a late thread finds its range taken', () => {
    const c = newControl(2); // caller + 2 workers
    openSlices(c, 9);
    const ran: [number, number][] = []; // [thread, slice]
    // Worker 1 starts first and claims one slice, then the caller runs while worker 1 is
    // still busy with it; worker 2 never starts (it must not hold anything up).
    let workerPaused = true;
    claimSlices(c, 1, (part) => {
      ran.push([1, part]);
      if (workerPaused) {
        workerPaused = false;
        claimSlices(c, 0, (p) => ran.push([0, p]));
      }
    });
    const slices = ran.map(([, part]) => part).sort((a, b) => a - b);
    expect(slices).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    // Homes: caller 0–2, worker 1 3–5, worker 2 6–8.
    expect(ran[0]).toEqual([1, 3]);
    expect(ran.filter(([t]) => t === 0).map(([, p]) => p)).toEqual([0, 1, 2, 4, 5, 6, 7, 8]);
    closeSlices(c);
    claimSlices(c, 2, () => {
      throw new Error('a closed call gave out a slice');
    });
  });

  it('a call opened again after closing gives out every slice again, once', () => {
    const c = newControl(1);
    for (const parts of [6, 1, 5]) {
      openSlices(c, parts);
      const ran: number[] = [];
      claimSlices(c, 0, (p, n) => {
        expect(n).toBe(parts);
        ran.push(p);
      });
      claimSlices(c, 1, (p) => ran.push(p)); // the worker, too late: nothing left
      expect(ran.sort((a, b) => a - b)).toEqual(Array.from({ length: parts }, (_, i) => i));
      closeSlices(c);
    }
  });

  it("the workers' claim loop is the caller's, from its own text, and needs nothing around it", () => {
    // The worker script evaluated alone (as a worker would), its message handler kept aside.
    const worker = new Function(
      `let onmessage; ${WORKER_SOURCE}; return { claimLoop, onmessage };`,
    )() as {
      claimLoop: (...args: unknown[]) => void;
      onmessage: unknown;
    };
    expect(typeof worker.onmessage).toBe('function');
    const c = newControl(2);
    openSlices(c, 7);
    const ran: [number, number][] = [];
    // The caller's own claimSlices passes its slot layout; the worker is handed the same one.
    claimSlices(c, 1, (part) => {
      ran.push([1, part]);
      if (ran.length === 1) {
        worker.claimLoop(c, 0, (p: number) => ran.push([0, p]), CLAIM_SLOTS);
      }
    });
    expect(ran.map(([, p]) => p).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(ran[0]).toEqual([1, 2]); // worker 1's home range starts at ⌊7/3⌋
    closeSlices(c);
  });
});

describe('kernel pool control block', () => {
  it("keeps each thread's claim cursor, range end and finished count in a 64-byte line of its own", () => {
    const c = newControl(3);
    const team = 4;
    const line = (slot: number) => Math.floor((4 * slot) / 64);
    const threadLines = Array.from({ length: team }, (_, t) => {
      const base = CLAIM_SLOTS.threads + t * CLAIM_SLOTS.line;
      const lines = [CLAIM_SLOTS.next, CLAIM_SLOTS.end, CLAIM_SLOTS.done].map((k) =>
        line(base + k),
      );
      expect(new Set(lines).size).toBe(1);
      return lines[0]!;
    });
    expect(new Set(threadLines).size).toBe(team);
    // Nor do they share a line with what the caller writes once per call.
    expect(threadLines).not.toContain(line(CLAIM_SLOTS.parts));
    expect(threadLines).not.toContain(line(CLAIM_SLOTS.team));
    expect(CLAIM_SLOTS.threads % 16).toBe(0); // the block itself starts on a line
    expect(c.byteLength).toBeGreaterThanOrEqual(4 * (CLAIM_SLOTS.threads + 16 * CLAIM_SLOTS.line));
  });

  it('counts every finished slice once, per thread, and starts each call from zero', () => {
    const c = newControl(1);
    for (const parts of [2, 6, 1]) {
      openSlices(c, parts);
      expect(doneSlices(c)).toBe(0);
      claimSlices(c, 1, () => {
        // The caller claims while the worker runs its first slice.
        claimSlices(c, 0, () => undefined);
      });
      expect(doneSlices(c)).toBe(parts);
      closeSlices(c);
    }
  });
});
