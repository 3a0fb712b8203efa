/** Runs one latency cell in a fresh iframe (latency-run.html) and collects its messages. */
import type { Cell, CellResult, RunSettings } from '../lib/latency-plan';
import { isRunnerMessage, runnerQuery } from '../lib/latency-plan';

/** A runner silent this long (no progress) has crashed or hung: the cell fails. */
const SILENCE_LIMIT_MS = 180_000;

export interface CellProgress {
  phase: 'loading' | 'warmup' | 'timing';
  done: number;
  total: number;
}

export function runCell(
  cell: Cell,
  settings: RunSettings,
  container: HTMLElement,
  onProgress: (p: CellProgress) => void,
  signal: AbortSignal,
): Promise<CellResult> {
  return new Promise<CellResult>((resolve, reject) => {
    const frame = document.createElement('iframe');
    frame.title = `latency runner: ${cell.modelId} on ${cell.config.label}`;
    let silence = 0;
    const finish = (settle: () => void): void => {
      window.removeEventListener('message', onMessage);
      signal.removeEventListener('abort', onAbort);
      clearTimeout(silence);
      frame.remove(); // frees the runner's model, backend and memory
      settle();
    };
    const arm = (): void => {
      clearTimeout(silence);
      silence = window.setTimeout(
        () =>
          finish(() =>
            reject(
              new Error(
                `no response for ${SILENCE_LIMIT_MS / 1000} s (the runner page crashed or hung)`,
              ),
            ),
          ),
        SILENCE_LIMIT_MS,
      );
    };
    const onAbort = (): void => finish(() => reject(new DOMException('cancelled', 'AbortError')));
    function onMessage(event: MessageEvent): void {
      if (event.source !== frame.contentWindow || !isRunnerMessage(event.data)) return;
      const m = event.data;
      arm();
      if (m.type === 'progress') onProgress(m);
      else if (m.type === 'result') finish(() => resolve(m.result));
      else finish(() => reject(new Error(m.message)));
    }
    if (signal.aborted) return onAbort();
    window.addEventListener('message', onMessage);
    signal.addEventListener('abort', onAbort);
    arm();
    frame.src = `./latency-run.html?${runnerQuery(cell, settings)}`;
    container.append(frame);
  });
}
