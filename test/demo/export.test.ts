import { describe, expect, it } from 'vitest';
import { csvField, exportFileName, toCsv, toJson } from '../../demo/lib/export';

describe('CSV', () => {
  it('quotes only fields that need it, doubling quotes (RFC 4180)', () => {
    expect(csvField('wasm-1')).toBe('wasm-1');
    expect(csvField('WASM, 2 threads')).toBe('"WASM, 2 threads"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(12.5)).toBe('12.5');
    expect(csvField(null)).toBe('');
    expect(csvField(Number.NaN)).toBe('');
  });

  it('writes a header and one CRLF-terminated line per row', () => {
    const rows = [
      { id: 'efficientnet-b0', ms: 29.25, note: 'a, b' },
      { id: 'fd-mobilenet-0.5x', ms: 4, note: null },
    ];
    const csv = toCsv(
      [
        { header: 'model', value: (r: (typeof rows)[number]) => r.id },
        { header: 'median_ms', value: (r: (typeof rows)[number]) => r.ms },
        { header: 'note', value: (r: (typeof rows)[number]) => r.note },
      ],
      rows,
    );
    expect(csv).toBe(
      'model,median_ms,note\r\nefficientnet-b0,29.25,"a, b"\r\nfd-mobilenet-0.5x,4,\r\n',
    );
  });
});

describe('JSON and file names', () => {
  it('keeps failed measurements as null', () => {
    expect(JSON.parse(toJson({ a: Number.POSITIVE_INFINITY, b: [1, Number.NaN] }))).toEqual({
      a: null,
      b: [1, null],
    });
  });

  it('names files without characters Windows refuses', () => {
    expect(exportFileName('webnets-latency', new Date('2024-05-01T12:30:05.123Z'), 'csv')).toBe(
      'webnets-latency-2024-05-01T12-30-05.csv',
    );
  });
});
