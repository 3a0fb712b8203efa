import { describe, expect, it } from 'vitest';
import { createModelSlot } from '../../demo/lib/model-slot';

interface FakeModel {
  id: string;
  disposed: boolean;
}

function setup() {
  const log: string[] = [];
  let idle: Promise<void> = Promise.resolve();
  const slot = createModelSlot<FakeModel>({
    dispose: (m) => {
      m.disposed = true;
      log.push(`dispose ${m.id}`);
    },
    whenIdle: () => idle,
  });
  const model = (id: string): FakeModel => ({ id, disposed: false });
  return {
    slot,
    log,
    model,
    setIdle: (p: Promise<void>) => (idle = p),
  };
}

describe('createModelSlot', () => {
  it('swaps in the new model, then disposes the old once inference is idle', async () => {
    const { slot, log, model, setIdle } = setup();
    const a = model('a');
    await slot.switchTo(async () => a);
    expect(slot.current).toBe(a);
    let finishInference!: () => void;
    setIdle(new Promise<void>((r) => (finishInference = r)));
    const b = model('b');
    const switched = slot.switchTo(async () => b);
    await new Promise((r) => setTimeout(r, 0));
    expect(slot.current).toBe(b);
    expect(a.disposed).toBe(false); // an inference may still be using it
    finishInference();
    expect(await switched).toBe(b);
    expect(a.disposed).toBe(true);
    expect(log).toEqual(['dispose a']);
  });

  it('aborts a superseded load and disposes its model if it loads anyway', async () => {
    const { slot, model } = setup();
    const slow = model('slow');
    let release!: () => void;
    let sawAbort = false;
    const first = slot.switchTo(async (signal) => {
      await new Promise<void>((r) => (release = r));
      sawAbort = signal.aborted;
      return slow;
    });
    const fast = model('fast');
    const second = slot.switchTo(async () => fast);
    expect(await second).toBe(fast);
    release();
    expect(await first).toBeNull();
    expect(sawAbort).toBe(true);
    expect(slow.disposed).toBe(true);
    expect(slot.current).toBe(fast);
    expect(fast.disposed).toBe(false);
  });

  it('keeps the current model when a load fails, and rethrows the error', async () => {
    const { slot, model } = setup();
    const a = model('a');
    await slot.switchTo(async () => a);
    await expect(
      slot.switchTo(async () => {
        throw new Error('regnety-32gf: model.json 404');
      }),
    ).rejects.toThrow(/model.json 404/);
    expect(slot.current).toBe(a);
    expect(a.disposed).toBe(false);
  });

  it('a superseded load that fails is not reported', async () => {
    const { slot, model } = setup();
    let fail!: (e: Error) => void;
    const first = slot.switchTo(() => new Promise<FakeModel>((_, rej) => (fail = rej)));
    await slot.switchTo(async () => model('b'));
    fail(new Error('aborted'));
    expect(await first).toBeNull();
  });

  it('clear disposes the current model', async () => {
    const { slot, model } = setup();
    const a = model('a');
    await slot.switchTo(async () => a);
    await slot.clear();
    expect(slot.current).toBeNull();
    expect(a.disposed).toBe(true);
  });
});
