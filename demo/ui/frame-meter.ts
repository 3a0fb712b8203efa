/** The page's frame clock: calls `onInterval` with the time between animation frames. */
export function startFrameMeter(
  onInterval: (intervalMs: number, atMs: number) => void,
): () => void {
  let last: number | null = null;
  let handle = requestAnimationFrame(function tick(now) {
    if (last !== null) onInterval(now - last, now);
    last = now;
    handle = requestAnimationFrame(tick);
  });
  return () => cancelAnimationFrame(handle);
}
