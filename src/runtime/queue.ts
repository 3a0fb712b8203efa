/**
 * One model runs one call at a time, in call order. A render loop may call `classify`
 * faster than inference runs; the calls then wait their turn instead of interleaving
 * their awaits (which would mix up preprocessing buffers and outputs). A failed call
 * does not stop the ones behind it.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  /** Calls queued or running. */
  get size(): number {
    return this.waiting;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    this.waiting++;
    const result = this.tail.then(task).finally(() => {
      this.waiting--;
    });
    this.tail = result.catch(() => undefined);
    return result;
  }
}
