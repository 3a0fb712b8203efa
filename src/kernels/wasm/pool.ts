/**
 * Threads for webnets' WASM kernels. tfjs runs one op at a time on the page's thread and
 * its XNNPACK pool serves only tfjs' own ops (and tfjs caps that pool at
 * hardwareConcurrency / 2), so a custom kernel would use one core. Where tfjs' memory is
 * shared (its threaded build, in a cross-origin isolated page), helper workers instantiate
 * the same kernels module on that very memory and take slices of a kernel's output.
 *
 * One call: the caller publishes the export's arguments in a small shared control block,
 * opens the slices and wakes the workers; then everyone, the caller included, claims slices
 * with an atomic add until none is left — its own home range first (claimLoop), so a
 * thread mostly reads rows it wrote in the previous kernel — and the caller spins until
 * every claimed slice is done (a page's thread may not block in Atomics.wait). Because the
 * caller claims slices too, a call completes even if no worker ever started. Workers spin a
 * little between calls and then sleep. (What threads and home ranges gain, measured:
 * bench/RESULTS.md.)
 */

/**
 * Slots of the control block (Int32Array over a SharedArrayBuffer), laid out by who writes
 * them: a line of 64 bytes (LINE int32s) for what the caller writes once per call, one for
 * the workers' start/sleep counts, and one per thread for its claim cursor, its range's end
 * and its count of finished slices. A thread's claims on its own range, and its finished
 * count, then touch no line another thread writes; only a steal or the caller's join reads
 * across. (With every counter in one line, each claim and each finished slice moved that
 * line between the cores: of the order of a small conv's slice, bench/RESULTS.md.)
 */
const LINE = 16;
const GENERATION = 0; // bumped per call; workers wait on it
const PARTS = 1; // slices in this call
const ARGC = 2; // arguments in this call
const EXPORT = 3; // which of the pool's exports this call runs
const TEAM = 4; // threads the slices are homed on: the caller and every worker started or not
const ARGS = LINE; // the arguments (int32: pointers and sizes), written by the caller per call
const MAX_ARGS = 32;
const READY = ARGS + MAX_ARGS; // workers that have instantiated the module
const SLEEPING = READY + 1; // workers in Atomics.wait, or about to be
const THREAD_LINES = READY + LINE; // line of thread t: THREAD_LINES + t * LINE
const NEXT = 0; // in a thread's line: the next slice of its home range; CLOSED between calls
const END = 1; // in a thread's line: where its home range ends
const DONE = 2; // in a thread's line: slices it finished in this call (it alone writes it)
const MAX_THREADS = 16;
const CLOSED = 1 << 30;
/**
 * How long an idle worker spins before it sleeps: a network's convs come back to back
 * (a depthwise conv or an add between them), and waking a sleeping worker costs about as
 * much as a small conv's slice.
 */
const SPIN_MS = 1;
/** Where the claim loop finds what it reads (passed to the workers with their start message). */
interface ClaimSlots {
  team: number;
  parts: number;
  /** Thread t's slots: threads + t * line + next / end / done. */
  threads: number;
  line: number;
  next: number;
  end: number;
  done: number;
}
export const CLAIM_SLOTS: ClaimSlots = {
  team: TEAM,
  parts: PARTS,
  threads: THREAD_LINES,
  line: LINE,
  next: NEXT,
  end: END,
  done: DONE,
};

/** Where thread t's own slots start. */
function lineOf(t: number): number {
  return THREAD_LINES + t * LINE;
}

/**
 * Where thread t's home slices start (the caller is thread 0; `team` counts the caller and
 * every worker, started or not): a thread works through its own range first, then takes
 * what is left of the others'. Row slices of consecutive kernels then mostly land on the
 * core that wrote their input rows, still in that core's L2; claimed first-come, about
 * half of every kernel's input came from the other core's cache.
 */
export function homeStart(t: number, parts: number, team: number): number {
  return Math.floor((t * parts) / team);
}

/** A control block for a caller and `workers` workers (the team, at most MAX_THREADS). */
export function newControl(workers: number): Int32Array {
  const c = new Int32Array(new SharedArrayBuffer(4 * (THREAD_LINES + MAX_THREADS * LINE)));
  c[TEAM] = Math.min(1 + workers, MAX_THREADS);
  for (let t = 0; t < MAX_THREADS; t++) c[lineOf(t) + NEXT] = CLOSED;
  return c;
}

/** Opens a call of `parts` slices, range by range: slices claimed from here on see its arguments. */
export function openSlices(c: Int32Array, parts: number): void {
  Atomics.store(c, PARTS, parts);
  const team = c[TEAM] as number;
  for (let t = 0; t < team; t++) {
    const line = lineOf(t);
    Atomics.store(c, line + DONE, 0);
    Atomics.store(c, line + END, homeStart(t + 1, parts, team));
    Atomics.store(c, line + NEXT, homeStart(t, parts, team));
  }
}

/** Slices finished so far in the open call, over every thread. */
export function doneSlices(c: Int32Array): number {
  let done = 0;
  for (let t = 0; t < (c[TEAM] as number); t++) done += Atomics.load(c, lineOf(t) + DONE);
  return done;
}

/** Closes the call: late claims find nothing. */
export function closeSlices(c: Int32Array): void {
  for (let t = 0; t < (c[TEAM] as number); t++) Atomics.store(c, lineOf(t) + NEXT, CLOSED);
}

/**
 * The claim loop of the caller and of every worker: claims and runs slices until none is
 * left, thread `self`'s home range first, then the others' in turn, and counts what it ran
 * in its own line. It reads nothing but its arguments and Atomics, so the workers run this
 * very function, from its source text (WORKER_SOURCE): one definition for both sides, no
 * eval.
 */
function claimLoop(
  c: Int32Array,
  self: number,
  runSlice: (part: number, parts: number) => void,
  slots: ClaimSlots,
): void {
  const team = Atomics.load(c, slots.team);
  // Only this thread writes its count (the caller zeroes it when it opens a call, before
  // any slice of that call can be claimed): a load and a store, no read-modify-write.
  const done = slots.threads + self * slots.line + slots.done;
  for (let k = 0; k < team; k++) {
    const line = slots.threads + ((self + k) % team) * slots.line;
    for (;;) {
      const part = Atomics.add(c, line + slots.next, 1);
      if (part >= Atomics.load(c, line + slots.end)) break;
      runSlice(part, Atomics.load(c, slots.parts));
      Atomics.store(c, done, Atomics.load(c, done) + 1);
    }
  }
}

/** Claims and runs slices until none is left (claimLoop on this control block's layout). */
export function claimSlices(
  c: Int32Array,
  self: number,
  runSlice: (part: number, parts: number) => void,
): void {
  claimLoop(c, self, runSlice, CLAIM_SLOTS);
}

/** What a worker is started with. */
interface WorkerStart {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  exportNames: readonly string[];
  self: number;
  slots: ClaimSlots;
  /** Control slots the worker's own loop reads. */
  generation: number;
  ready: number;
  sleeping: number;
  exportSlot: number;
  argc: number;
  args: number;
  spinMs: number;
}

/**
 * A worker's life: instantiate the module on the shared memory, then serve calls forever.
 * Like claimLoop it reads nothing but its arguments and the worker's globals (WORKER_SOURCE
 * is its source text).
 */
async function serveCalls(start: WorkerStart, claim: typeof claimLoop): Promise<void> {
  const instance = await WebAssembly.instantiate(start.module, { env: { memory: start.memory } });
  const exports = start.exportNames.map(
    (name) => instance.exports[name] as (...args: number[]) => void,
  );
  const c = new Int32Array(start.control);
  let seen = Atomics.load(c, start.generation);
  const args: number[] = [];
  Atomics.add(c, start.ready, 1);
  for (;;) {
    // Spin for up to spinMs after a call (the next conv is usually that close), then sleep.
    // A wake() is a generation without slices: it just starts a new spin.
    const idleSince = performance.now();
    while (Atomics.load(c, start.generation) === seen) {
      if (performance.now() - idleSince > start.spinMs) {
        // Counted before waiting: a waker bumps the generation, then reads the sleepers, so
        // either it notifies or this wait sees the new generation and returns at once.
        Atomics.add(c, start.sleeping, 1);
        Atomics.wait(c, start.generation, seen, 1000);
        Atomics.sub(c, start.sleeping, 1);
      }
    }
    seen = Atomics.load(c, start.generation);
    claim(
      c,
      start.self,
      (part, parts) => {
        // Read per slice, after its claim: a slice claimed is of the call whose arguments
        // are in the block (the caller writes them before it opens the slices).
        const argc = Atomics.load(c, start.argc);
        args.length = argc + 2;
        for (let i = 0; i < argc; i++) args[i] = c[start.args + i]!;
        args[argc] = part;
        args[argc + 1] = parts;
        exports[Atomics.load(c, start.exportSlot)]!(...args);
      },
      start.slots,
    );
  }
}

/** The worker script: the two functions above, from their own source text. */
export const WORKER_SOURCE = `const claimLoop = ${claimLoop.toString()};
const serveCalls = ${serveCalls.toString()};
onmessage = ({ data }) => void serveCalls(data, claimLoop);
`;

export class KernelPool {
  private readonly control: Int32Array;
  private readonly workers: Worker[] = [];
  /** Calls the kernels split over the pool so far (diagnostics). */
  splitCalls = 0;
  /** Slices the workers ran so far (diagnostics: whether the workers took part at all). */
  workerSlices = 0;
  /**
   * Calls that would have split but ran whole on the caller, their network measured to run
   * faster so (diagnostics; `splitting`).
   */
  soloCalls = 0;
  /**
   * Whether calls split now: a model whose network was measured to run faster with its
   * kernels on the caller alone turns it off around its inference (runtime/model.ts).
   */
  splitting = true;

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
    this.control = newControl(workers);
    const team = this.control[TEAM] as number;
    const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
    try {
      for (let i = 1; i < team; i++) {
        const worker = new Worker(url);
        worker.onerror = (e) => {
          console.warn(`webnets: a kernel worker failed (${e.message}); its slices run elsewhere`);
        };
        const start: WorkerStart = {
          module,
          memory,
          control: this.control.buffer as SharedArrayBuffer,
          exportNames,
          self: i,
          slots: CLAIM_SLOTS,
          generation: GENERATION,
          ready: READY,
          sleeping: SLEEPING,
          exportSlot: EXPORT,
          argc: ARGC,
          args: ARGS,
          spinMs: SPIN_MS,
        };
        worker.postMessage(start);
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
    this.splitCalls++;
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
    // The caller's own claims start after every range is open, so it alone would run them all.
    openSlices(c, parts);
    this.signal();
    claimSlices(c, 0, local);
    let done = doneSlices(c);
    while (done < parts) {
      // Workers are finishing slices they claimed.
      done = doneSlices(c);
    }
    this.workerSlices += done - (c[lineOf(0) + DONE] as number);
    closeSlices(c);
  }

  /**
   * Wakes sleeping workers so they spin, ready for the convs of an inference about to
   * start (waking one costs about as much as a small conv's slice).
   */
  wake(): void {
    this.signal(); // every range is CLOSED: workers find no slice and spin again
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
