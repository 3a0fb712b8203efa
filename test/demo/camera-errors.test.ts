import { describe, expect, it } from 'vitest';
import {
  cameraDisconnected,
  describeCameraError,
  describeLoadError,
} from '../../demo/lib/camera-errors';

const domError = (name: string, message = '') => Object.assign(new Error(message), { name });

describe('camera problems', () => {
  it('tells denied permission, missing camera and busy camera apart', () => {
    expect(describeCameraError(domError('NotAllowedError')).title).toMatch(/permission was denied/);
    expect(describeCameraError(domError('NotFoundError')).title).toMatch(/No camera/);
    expect(describeCameraError(domError('NotReadableError')).advice).toMatch(/Another application/);
    expect(describeCameraError(domError('SecurityError')).advice).toMatch(/localhost/);
  });

  it('always offers the upload fallback and keeps unknown messages', () => {
    const p = describeCameraError(domError('WeirdError', 'driver crashed'));
    expect(p.title).toContain('driver crashed');
    for (const problem of [
      p,
      cameraDisconnected(),
      describeCameraError(domError('NotAllowedError')),
    ]) {
      expect(problem.advice).toMatch(/drop an image/);
    }
  });

  it('names the model that failed to load and the reason', () => {
    const p = describeLoadError('RegNetY-32GF', new Error('shard 3: sha256 mismatch'));
    expect(p.title).toBe('RegNetY-32GF could not be loaded: shard 3: sha256 mismatch');
    expect(p.advice).toMatch(/previous model keeps running/);
  });
});
