/** How numbers and model ids read on the pages. */

/** Three significant digits with an SI suffix: 993928 → '994 k', 4.1e8 → '410 M'. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '—';
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [size, suffix] of units) {
    if (Math.abs(n) >= size * 0.9995) return `${significant(n / size)} ${suffix}`;
  }
  return significant(n);
}

/** Milliseconds with three significant digits (at most two decimals): '4.27 ms', '427 ms'. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  return `${ms >= 1000 ? Math.round(ms).toString() : significant(ms)} ms`;
}

export function formatFps(fps: number | null | undefined): string {
  if (fps === null || fps === undefined || !Number.isFinite(fps)) return '—';
  return fps >= 100 ? Math.round(fps).toString() : fps.toFixed(1);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(0)} KiB`;
  return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

export function formatPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(fraction >= 0.995 || fraction === 0 ? 0 : 1)} %`;
}

function significant(x: number): string {
  if (x === 0) return '0';
  const rounded = Number(x.toPrecision(3)); // 9.999 → 10.0, so it gets one decimal, not two
  const digits = Math.max(0, Math.min(2, 2 - Math.floor(Math.log10(Math.abs(rounded)))));
  return rounded.toFixed(digits);
}

/** 'fd-mobilenet-0.5x' → 'FD-MobileNet 0.5×', 'regnety-1.6gf' → 'RegNetY-1.6GF'. */
export function modelName(id: string): string {
  let m = /^fd-mobilenet-([\d.]+)x$/.exec(id);
  if (m) return `FD-MobileNet ${m[1]}×`;
  m = /^efficientnet-b(\d)$/.exec(id);
  if (m) return `EfficientNet-B${m[1]}`;
  m = /^regnet([xy])-([\d.]+)(mf|gf)$/.exec(id);
  if (m) return `RegNet${(m[1] as string).toUpperCase()}-${m[2]}${(m[3] as string).toUpperCase()}`;
  return id;
}
