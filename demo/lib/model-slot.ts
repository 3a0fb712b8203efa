/**
 * The model in use, and switching it while the camera keeps running: the new model is
 * loaded beside the old one (which keeps classifying), swapped in, and the old one is
 * disposed only once the inference that may still be using it has finished. Picking
 * again before a load finishes aborts that load; a load that fails leaves the old
 * model in place.
 */

export interface ModelSlot<M> {
  readonly current: M | null;
  /**
   * Loads a model and makes it current. Resolves to it, or to null when another
   * `switchTo` superseded this one (its model, if it loaded anyway, is disposed).
   * Rejects with the load's error, the current model unchanged.
   */
  switchTo(load: (signal: AbortSignal) => Promise<M>): Promise<M | null>;
  /** Aborts a pending load and disposes the current model. */
  clear(): Promise<void>;
}

export interface ModelSlotOptions<M> {
  dispose: (model: M) => void;
  /** Resolves when no inference is using the current model. */
  whenIdle: () => Promise<void>;
}

export function createModelSlot<M>({ dispose, whenIdle }: ModelSlotOptions<M>): ModelSlot<M> {
  let current: M | null = null;
  let pending: AbortController | null = null;

  async function retire(model: M | null): Promise<void> {
    if (model === null) return;
    await whenIdle();
    dispose(model);
  }

  return {
    get current() {
      return current;
    },
    async switchTo(load) {
      pending?.abort();
      const controller = new AbortController();
      pending = controller;
      let model: M;
      try {
        model = await load(controller.signal);
      } catch (error) {
        if (controller.signal.aborted) return null;
        if (pending === controller) pending = null;
        throw error;
      }
      if (controller.signal.aborted) {
        dispose(model);
        return null;
      }
      pending = null;
      const old = current;
      current = model;
      await retire(old);
      return model;
    },
    async clear() {
      pending?.abort();
      pending = null;
      const old = current;
      current = null;
      await retire(old);
    },
  };
}
