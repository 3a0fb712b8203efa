import { describe, expect, it } from 'vitest';
import { encodeY4m, rgbaToI420 } from '../../e2e/y4m';

/** A 2×2 image of one colour. */
const solid = (r: number, g: number, b: number) =>
  new Uint8Array([r, g, b, 255, r, g, b, 255, r, g, b, 255, r, g, b, 255]);

describe('rgbaToI420', () => {
  it('gives BT.601 studio-swing values (white 235, black 16, neutral chroma 128)', () => {
    expect([...rgbaToI420(solid(255, 255, 255), 2, 2)]).toEqual([235, 235, 235, 235, 128, 128]);
    expect([...rgbaToI420(solid(0, 0, 0), 2, 2)]).toEqual([16, 16, 16, 16, 128, 128]);
    // Rec. 601 red: Y 81.5, Cb 90.2, Cr 240.
    const red = rgbaToI420(solid(255, 0, 0), 2, 2);
    expect(Math.abs(red[0]! - 81.5)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(red[4]! - 90.2)).toBeLessThanOrEqual(0.5);
    expect(red[5]).toBe(240);
  });

  it('lays out Y, then U, then V, averaging chroma over 2×2 blocks', () => {
    // 4×2: left block black, right block white.
    const px = (v: number) => [v, v, v, 255];
    const rgba = new Uint8Array([
      ...px(0),
      ...px(0),
      ...px(255),
      ...px(255),
      ...px(0),
      ...px(0),
      ...px(255),
      ...px(255),
    ]);
    expect([...rgbaToI420(rgba, 4, 2)]).toEqual([
      16, 16, 235, 235, 16, 16, 235, 235, 128, 128, 128, 128,
    ]);
  });

  it('refuses odd sizes and wrong buffer lengths, naming them', () => {
    expect(() => rgbaToI420(new Uint8Array(3 * 2 * 4), 3, 2)).toThrow(
      /even, positive width and height, got 3×2/,
    );
    expect(() => rgbaToI420(new Uint8Array(5), 2, 2)).toThrow(
      /expected 16 RGBA bytes for 2×2, got 5/,
    );
  });
});

describe('encodeY4m', () => {
  it('writes the header and FRAME-marked planes', () => {
    const bytes = encodeY4m(solid(255, 255, 255), 2, 2, { frames: 2, fps: 15 });
    const header = 'YUV4MPEG2 W2 H2 F15:1 Ip A1:1 C420jpeg\n';
    const text = new TextDecoder('latin1').decode(bytes);
    expect(text.startsWith(header + 'FRAME\n')).toBe(true);
    expect(bytes.length).toBe(header.length + 2 * ('FRAME\n'.length + 6));
    expect(text.indexOf('FRAME\n', header.length + 1)).toBe(header.length + 6 + 6);
  });
});
