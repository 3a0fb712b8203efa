import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatCount,
  formatFps,
  formatMs,
  formatPercent,
  modelName,
} from '../../demo/lib/format';

describe('format', () => {
  it('writes counts with three significant digits and an SI suffix', () => {
    expect(formatCount(993928)).toBe('994 k');
    expect(formatCount(5288548)).toBe('5.29 M');
    expect(formatCount(4.1e8)).toBe('410 M');
    expect(formatCount(1.6e9)).toBe('1.60 G');
    expect(formatCount(999_999)).toBe('1.00 M');
    expect(formatCount(512)).toBe('512');
  });

  it('writes milliseconds and frame rates', () => {
    expect(formatMs(4.2731)).toBe('4.27 ms');
    expect(formatMs(42.71)).toBe('42.7 ms');
    expect(formatMs(9.999)).toBe('10.0 ms');
    expect(formatMs(1234.5)).toBe('1235 ms');
    expect(formatMs(null)).toBe('—');
    expect(formatFps(23.456)).toBe('23.5');
    expect(formatFps(240.4)).toBe('240');
  });

  it('writes sizes and probabilities', () => {
    expect(formatBytes(3975712)).toBe('3.8 MiB');
    expect(formatBytes(2048)).toBe('2 KiB');
    expect(formatPercent(0.8734)).toBe('87.3 %');
    expect(formatPercent(0.999)).toBe('100 %');
  });

  it('names models as their papers do', () => {
    expect(modelName('fd-mobilenet-0.5x')).toBe('FD-MobileNet 0.5×');
    expect(modelName('efficientnet-b3')).toBe('EfficientNet-B3');
    expect(modelName('regnety-1.6gf')).toBe('RegNetY-1.6GF');
    expect(modelName('regnetx-200mf')).toBe('RegNetX-200MF');
    expect(modelName('custom-net')).toBe('custom-net');
  });
});
