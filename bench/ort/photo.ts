/** The benchmark page's inputs: a real photo as pixels, and raw float32 files. */

/** The input picture: a real photo, so FD-MobileNet's pretrained weights give a real answer. */
export const PHOTO = '/shared/images/chelsea.png';

/** The photo's centre square scaled to side × side: HWC float32 0–255 RGB. */
export async function photoPixels(side: number): Promise<Float32Array> {
  const response = await fetch(PHOTO);
  if (!response.ok) throw new Error(`${PHOTO}: HTTP ${response.status}`);
  const bitmap = await createImageBitmap(await response.blob());
  const square = Math.min(bitmap.width, bitmap.height);
  const canvas = new OffscreenCanvas(side, side);
  const context = canvas.getContext('2d');
  if (!context) throw new Error('OffscreenCanvas: no 2d context');
  const [sx, sy] = [(bitmap.width - square) / 2, (bitmap.height - square) / 2];
  context.drawImage(bitmap, sx, sy, square, square, 0, 0, side, side);
  bitmap.close();
  const rgba = context.getImageData(0, 0, side, side).data;
  const hwc = new Float32Array(side * side * 3);
  for (let i = 0; i < side * side; i++) {
    for (let c = 0; c < 3; c++) hwc[i * 3 + c] = rgba[i * 4 + c] as number;
  }
  return hwc;
}

export async function fetchFloats(url: string): Promise<Float32Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Float32Array(await response.arrayBuffer());
}
