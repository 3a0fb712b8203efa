/** Small DOM helpers shared by the pages. */
import type { Problem } from '../lib/camera-errors';

/** The element with this id, or a clear error naming it (a page/markup mismatch). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`demo: element #${id} is missing from ${location.pathname}`);
  return el as T;
}

/** Creates an element with a class and text content. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Shows a problem (what happened, what to do) in a message box; null hides it. */
export function showProblem(box: HTMLElement, problem: Problem | null): void {
  box.replaceChildren();
  box.hidden = problem === null;
  if (!problem) return;
  box.append(el('strong', undefined, problem.title), ' ', el('span', undefined, problem.advice));
}

/** Offers `text` as a file download. */
export function download(fileName: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
