/** A busy opaque picture (rectangles of many colours) on a 2-D canvas, for the bench pages. */
export function picture(width: number, height: number): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas context');
  ctx.fillStyle = '#3a6b2c';
  ctx.fillRect(0, 0, width, height);
  for (let i = 0; i < 300; i++) {
    ctx.fillStyle = `hsl(${(i * 47) % 360}, 70%, ${30 + (i % 5) * 10}%)`;
    ctx.fillRect((i * 97) % width, (i * 61) % height, width / 20, height / 20);
  }
  return canvas;
}
