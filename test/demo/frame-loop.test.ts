import { describe, expect, it } from 'vitest';
import { createFrameLoop } from '../../demo/lib/frame-loop';

/** A video whose frames the test delivers one by one. */
function fakeVideo() {
  const waiting: (() => void)[] = [];
  return {
    nextFrame: (cb: () => void) => {
      waiting.push(cb);
      return () => {
        const i = waiting.indexOf(cb);
        if (i >= 0) waiting.splice(i, 1);
      };
    },
    /** Delivers a frame to whoever waits for one; returns how many waited. */
    frame(): number {
      const cbs = waiting.splice(0);
      cbs.forEach((cb) => cb());
      return cbs.length;
    },
    get waiting() {
      return waiting.length;
    },
  };
}

function deferred() {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('createFrameLoop', () => {
  it('never runs two inferences at once and waits for a new frame after each', async () => {
    const video = fakeVideo();
    let active = 0;
    let maxActive = 0;
    let calls = 0;
    const pending: ReturnType<typeof deferred>[] = [];
    const loop = createFrameLoop({
      nextFrame: video.nextFrame,
      infer: async () => {
        calls++;
        active++;
        maxActive = Math.max(maxActive, active);
        const d = deferred();
        pending.push(d);
        await d.promise;
        active--;
      },
      onError: (e) => {
        throw e;
      },
    });
    loop.start();
    expect(video.frame()).toBe(1);
    await flush();
    expect(calls).toBe(1);
    // Frames while busy: nobody is waiting for them, so nothing queues.
    expect(video.frame()).toBe(0);
    expect(video.frame()).toBe(0);
    pending[0]?.resolve();
    await flush();
    expect(video.waiting).toBe(1);
    video.frame();
    await flush();
    expect(calls).toBe(2);
    expect(maxActive).toBe(1);
    loop.stop();
    pending[1]?.resolve();
    await loop.whenIdle();
    expect(video.waiting).toBe(0);
    expect(loop.running).toBe(false);
  });

  it('whenIdle waits for the inference in flight (before a model is disposed)', async () => {
    const video = fakeVideo();
    const d = deferred();
    let finished = false;
    const loop = createFrameLoop({
      nextFrame: video.nextFrame,
      infer: async () => {
        await d.promise;
        finished = true;
      },
      onError: () => undefined,
    });
    loop.start();
    video.frame();
    await flush();
    const idle = loop.whenIdle().then(() => finished);
    d.resolve();
    expect(await idle).toBe(true);
    loop.stop();
  });

  it('stops on an error (also a synchronous throw), reports it, and resumes on start', async () => {
    const video = fakeVideo();
    const errors: unknown[] = [];
    let fail = true;
    let ok = 0;
    const loop = createFrameLoop({
      nextFrame: video.nextFrame,
      infer: () => {
        if (fail) throw new Error('model disposed');
        ok++;
        return Promise.resolve();
      },
      onError: (e) => errors.push(e),
    });
    loop.start();
    video.frame();
    await loop.whenIdle();
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/model disposed/);
    expect(loop.running).toBe(false);
    expect(video.waiting).toBe(0);
    fail = false;
    loop.start();
    video.frame();
    await loop.whenIdle();
    expect(ok).toBe(1);
    expect(loop.running).toBe(true);
    loop.stop();
  });

  it('start while an inference is in flight does not schedule a second one', async () => {
    const video = fakeVideo();
    const d = deferred();
    let calls = 0;
    const loop = createFrameLoop({
      nextFrame: video.nextFrame,
      infer: async () => {
        calls++;
        await d.promise;
      },
      onError: () => undefined,
    });
    loop.start();
    video.frame();
    await flush();
    loop.stop();
    loop.start();
    expect(video.waiting).toBe(0);
    d.resolve();
    await loop.whenIdle();
    expect(video.waiting).toBe(1);
    expect(calls).toBe(1);
    loop.stop();
  });
});
