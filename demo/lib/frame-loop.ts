/**
 * The live loop: wait for a new video frame, classify it, and only then wait for the next
 * one. At most one inference is ever in flight, frames that arrive meanwhile are simply
 * not looked at, and each inference sees the freshest frame — a slow model lowers the
 * frame rate instead of building a queue (and latency) that grows without bound.
 */

/** Calls `callback` at the next frame; returns a function that cancels that call. */
export type NextFrame = (callback: () => void) => () => void;

export interface FrameLoop {
  start(): void;
  /** Stops scheduling; an inference in flight still completes (see `whenIdle`). */
  stop(): void;
  readonly running: boolean;
  /** Resolves once no inference is in flight (e.g. before disposing the model it uses). */
  whenIdle(): Promise<void>;
}

export interface FrameLoopOptions {
  nextFrame: NextFrame;
  /** One inference on the current frame. */
  infer: () => Promise<void>;
  /** An inference threw: the loop has stopped; `start()` resumes it. */
  onError: (error: unknown) => void;
}

export function createFrameLoop({ nextFrame, infer, onError }: FrameLoopOptions): FrameLoop {
  let running = false;
  let cancelPending: (() => void) | null = null;
  let inFlight: Promise<void> | null = null;

  const schedule = (): void => {
    cancelPending = nextFrame(tick);
  };

  function tick(): void {
    cancelPending = null;
    if (!running || inFlight) return;
    // Promise.resolve().then: a synchronous throw in `infer` is handled like a rejection.
    const current = Promise.resolve()
      .then(infer)
      .catch((error: unknown) => {
        running = false;
        onError(error);
      });
    inFlight = current;
    void current.then(() => {
      inFlight = null;
      if (running && !cancelPending) schedule();
    });
  }

  return {
    start() {
      if (running) return;
      running = true;
      if (!inFlight && !cancelPending) schedule();
    },
    stop() {
      running = false;
      cancelPending?.();
      cancelPending = null;
    },
    get running() {
      return running;
    },
    async whenIdle() {
      while (inFlight) await inFlight;
    },
  };
}
