/**
 * The layers of src/ point one way: the folder-level import graph, computed from the
 * sources, has no cycle. A node is a folder directly under src/ (kernels, models, …) or a
 * file at src/'s top (tf.ts, the tfjs handle every layer stands on; index.ts, the public
 * API). Type-only imports count: they tie a layer to another's definitions just the same.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const srcDir = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The relative module specifiers a file imports or re-exports, static or dynamic. */
function importSpecifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [/\bfrom\s+['"](\.[^'"]*)['"]/g, /\bimport\s*\(\s*['"](\.[^'"]*)['"]\s*\)/g];
  for (const pattern of patterns) {
    for (const match of source.matchAll(pattern)) found.push(match[1]!);
  }
  return found;
}

/** The node a path under src/ belongs to: its top folder, or the file itself at the top. */
function nodeOf(path: string): string {
  const [first, ...rest] = relative(srcDir, path).split(/[\\/]/);
  return rest.length > 0 ? `${first}/` : first!;
}

/** Node → the nodes it imports, each with one file-level import that makes the edge. */
function folderGraph(files: string[]): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const file of files) {
    const from = nodeOf(file);
    const edges = graph.get(from) ?? new Map<string, string>();
    graph.set(from, edges);
    for (const spec of importSpecifiers(readFileSync(file, 'utf8'))) {
      const target = resolve(dirname(file), spec);
      if (relative(srcDir, target).startsWith('..')) continue; // models/*.json and the like
      const isFolder = existsSync(target) && statSync(target).isDirectory();
      const to = nodeOf(isFolder ? join(target, 'index.ts') : target);
      if (to !== from && !edges.has(to)) edges.set(to, `${relative(srcDir, file)} → '${spec}'`);
    }
  }
  return graph;
}

/** One cycle of the graph as its edges (empty when there is none). */
function findCycle(graph: Map<string, Map<string, string>>): string[] {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] => {
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node)?.keys() ?? []) {
      if (state.get(next) === 'open') {
        const loop = [...path.slice(path.indexOf(next)), next];
        return loop.slice(1).map((to, i) => graph.get(loop[i]!)!.get(to)!);
      }
      if (!state.has(next)) {
        const cycle = visit(next);
        if (cycle.length > 0) return cycle;
      }
    }
    path.pop();
    state.set(node, 'done');
    return [];
  };
  for (const node of [...graph.keys()].sort()) {
    if (state.has(node)) continue;
    const cycle = visit(node);
    if (cycle.length > 0) return cycle;
  }
  return [];
}

describe('the folder-level import graph of src/', () => {
  const graph = folderGraph(sourceFiles(srcDir));

  it('has no cycle', () => {
    const cycle = findCycle(graph);
    expect(cycle, `a cycle of imports between folders:\n  ${cycle.join('\n  ')}`).toEqual([]);
  });

  it('has tfjs at the bottom: tf.ts imports no other part of webnets', () => {
    expect([...(graph.get('tf.ts')?.keys() ?? [])]).toEqual([]);
  });

  it('finds a cycle when there is one (the check itself works)', () => {
    const looped = new Map([
      ['a/', new Map([['b/', "a/x.ts → '../b/y'"]])],
      ['b/', new Map([['c.ts', "b/y.ts → '../c'"]])],
      ['c.ts', new Map([['a/', "c.ts → './a/x'"]])],
    ]);
    expect(findCycle(looped)).toEqual(["a/x.ts → '../b/y'", "b/y.ts → '../c'", "c.ts → './a/x'"]);
    expect(importSpecifiers("import type { A } from '../a';\nconst m = import('./b');")).toEqual([
      '../a',
      './b',
    ]);
  });
});

describe('docs/architecture.md', () => {
  const doc = readFileSync(resolve(srcDir, '../docs/architecture.md'), 'utf8');

  it('names files and folders that exist', () => {
    const paths = [...doc.matchAll(/\b((?:src|test|bench)\/[\w./-]*\w\/?)/g)].map((m) => m[1]!);
    expect(paths.length).toBeGreaterThan(20);
    const missing = paths.filter((p) => !existsSync(resolve(srcDir, '..', p)));
    expect(missing, 'paths in docs/architecture.md that do not exist').toEqual([]);
  });

  it('names functions where their files define them', () => {
    const named = [...doc.matchAll(/(src\/[\w./-]+\.ts) \((\w+)\)/g)];
    expect(named.length).toBeGreaterThan(5);
    const wrong = named
      .filter(
        ([, file, name]) =>
          !new RegExp(`(function|class|const) ${name}\\b`).test(
            readFileSync(resolve(srcDir, '..', file!), 'utf8'),
          ),
      )
      .map(([whole]) => whole);
    expect(wrong, 'functions docs/architecture.md places in the wrong file').toEqual([]);
  });
});
