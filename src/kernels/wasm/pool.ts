/**
 * Threads for webnets' WASM kernels. tfjs runs one op at a time on the page's thread and
 * its XNNPACK pool serves only tfjs' own ops (and tfjs caps that pool at
 * hardwareConcurrency / 2), so a custom kernel would use one core. Where tfjs' memory is
 * shared (its threaded build, in a cross-origin isolated page), helper workers instantiate
 * the same kernels module on that very memory and take slices of a kernel's output.
 *
 * One call: the caller publishes the export's arguments in a small shared control block,
 * opens the slice counter and wakes the workers; then everyone, the caller included,
 * claims slices with an atomic add until none is left, and the caller spins until every
 * claimed slice is done (a page's thread may not block in Atomics.wait). Because the
 * caller claims slices too, a call completes even if no worker ever started. Workers spin
 * a little between calls and then sleep.
 *
 * Measured (2026-11-23, 2-core AMD EPYC VM, Chromium 156, threads: 2, one page
 * alternating pooled and single-threaded predict calls, 80 pairs, two runs): RegNetX-400MF
 * 1.50–1.57×, RegNetY-400MF 1.36–1.41×, EfficientNet-B0 1.34–1.40×, FD-MobileNet 0.5×
 * 1.50–1.72× (group and depthwise convs pooled; SE, SiLU and adds stay on one thread).
 */

/** Slots of the control block (Int32Array over a SharedArrayBuffer). */
const GENERATION = 0; // bumped per call; workers wait on it
const NEXT = 1; // next slice to claim; CLOSED between calls
const DONE = 2; // slices finished in this call
const PARTS = 3; // slices in this call
const ARGC = 4; // arguments in this call
const READY = 5; // workers that have instantiated the module
const EXPORT = 6; // which of the pool's exports this call runs
const SLEEPING = 7; // workers in Atomics.wait, or about to be
const ARGS = 8; // the arguments (int32: pointers and sizes)
const MAX_ARGS = 32;
const CLOSED = 1 << 30;
/**
 * How long an idle worker spins before it sleeps: a network's convs come back to back
 * (a depthwise conv or an add between them), and waking a sleeping worker costs about as
 * much as a small conv's slice.
 */
const SPIN_MS = 1;

/** The worker: instantiate the module on the shared memory, then serve calls forever. */
const WORKER_SOURCE = `
onmessage = async ({ data }) => {
  const { module, memory, control, exportNames } = data;
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  const exports = exportNames.map((name) => instance.exports[name]);
  const c = new Int32Array(control);
  let seen = Atomics.load(c, ${GENERATION});
  Atomics.add(c, ${READY}, 1);
  for (;;) {
    // Spin for up to SPIN_MS after a call (the next conv is usually that close), then sleep.
    // A wake() is a generation without slices: it just starts a new spin.
    const idleSince = performance.now();
    while (Atomics.load(c, ${GENERATION}) === seen) {
      if (performance.now() - idleSince > ${SPIN_MS}) {
        // Counted before waiting: a waker bumps GENERATION, then reads SLEEPING, so either
        // it notifies or this wait sees the new generation and returns at once.
        Atomics.add(c, ${SLEEPING}, 1);
        Atomics.wait(c, ${GENERATION}, seen, 1000);
        Atomics.sub(c, ${SLEEPING}, 1);
      }
    }
    seen = Atomics.load(c, ${GENERATION});
    for (;;) {
      const part = Atomics.add(c, ${NEXT}, 1);
      if (part >= Atomics.load(c, ${PARTS})) break;
      const args = Array.from(c.subarray(${ARGS}, ${ARGS} + Atomics.load(c, ${ARGC})));
      exports[Atomics.load(c, ${EXPORT})](...args, part, Atomics.load(c, ${PARTS}));
      Atomics.add(c, ${DONE}, 1);
    }
  }
};
`;

export class KernelPool {
  private readonly control = new Int32Array(new SharedArrayBuffer(4 * (ARGS + MAX_ARGS)));
  private readonly workers: Worker[] = [];

  /**
   * Threads a call may use: the caller plus the workers that have started (read from the
   * control block: a page busy with back-to-back inferences may not run message events).
   */
  get threads(): number {
    return 1 + Atomics.load(this.control, READY);
  }

  /** Starts `workers` helpers that run `exportNames` of `module` on `memory` (shared). */
  constructor(
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    workers: number,
    private readonly exportNames: readonly string[],
  ) {
    this.control[NEXT] = CLOSED;
    const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
    try {
      for (let i = 0; i < workers; i++) {
        const worker = new Worker(url);
        worker.onerror = (e) => {
          console.warn(`webnets: a kernel worker failed (${e.message}); its slices run elsewhere`);
        };
        worker.postMessage({ module, memory, control: this.control.buffer, exportNames });
        this.workers.push(worker);
      }
    } finally {
      URL.revokeObjectURL(url);
    }
  }

  /**
   * Runs `local(part, parts)` for every part, spread over the caller and the workers
   * (which call export `exportName` with `args` followed by part and parts). Returns
   * when all ran.
   */
  run(
    exportName: string,
    args: readonly number[],
    parts: number,
    local: (part: number, parts: number) => void,
  ): void {
    const c = this.control;
    if (args.length > MAX_ARGS)
      throw new Error(`KernelPool: ${args.length} arguments > ${MAX_ARGS}`);
    for (let i = 0; i < args.length; i++) c[ARGS + i] = args[i] as number;
    const index = this.exportNames.indexOf(exportName);
    if (index < 0) {
      throw new Error(`KernelPool: '${exportName}' is not one of ${this.exportNames.join(', ')}`);
    }
    Atomics.store(c, EXPORT, index);
    Atomics.store(c, ARGC, args.length);
    Atomics.store(c, PARTS, parts);
    Atomics.store(c, DONE, 0);
    Atomics.store(c, NEXT, 0); // opens the call: slices claimed from here on see its arguments
    this.signal();
    for (let part = Atomics.add(c, NEXT, 1); part < parts; part = Atomics.add(c, NEXT, 1)) {
      local(part, parts);
      Atomics.add(c, DONE, 1);
    }
    while (Atomics.load(c, DONE) < parts) {
      // Workers are finishing slices they claimed.
    }
    Atomics.store(c, NEXT, CLOSED);
  }

  /**
   * Wakes sleeping workers so they spin, ready for the convs of an inference about to
   * start (waking one costs about as much as a small conv's slice).
   */
  wake(): void {
    this.signal(); // NEXT is CLOSED: workers find no slice and spin again
  }

  /** A new generation; sleepers are notified (a system call) only when there are any. */
  private signal(): void {
    const c = this.control;
    Atomics.add(c, GENERATION, 1);
    if (Atomics.load(c, SLEEPING) > 0) Atomics.notify(c, GENERATION);
  }

  /**
   * Resolves once every worker has started, or after `timeoutMs` (then with those that
   * did). Await it before inference: a page busy with back-to-back inferences runs no
   * tasks, and a worker cannot start without its parent's event loop.
   */
  async started(timeoutMs = 3000): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    while (
      Atomics.load(this.control, READY) < this.workers.length &&
      performance.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return Atomics.load(this.control, READY);
  }

  dispose(): void {
    for (const worker of this.workers) worker.terminate();
    this.workers.length = 0;
    Atomics.store(this.control, READY, 0);
  }
}

/** Whether this engine can run a pool: workers, shared memory, atomics. */
export function poolSupported(memory: WebAssembly.Memory): boolean {
  return (
    typeof Worker !== 'undefined' &&
    typeof SharedArrayBuffer !== 'undefined' &&
    memory.buffer instanceof SharedArrayBuffer &&
    (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true
  );
}
