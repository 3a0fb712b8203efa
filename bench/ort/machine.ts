/** The machine a benchmark ran on, recorded with every result (numbers mean nothing without it). */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { arch, cpus, loadavg, release, totalmem, type } from 'node:os';

export interface Machine {
  date: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  /** The engine the pages ran in and its version, e.g. 'Chromium 156.0.7705.0', 'Firefox 153.8.0'. */
  browser: string;
  webnets: string;
  onnxruntimeWeb: string;
  /** The commit benchmarked, '+dirty' when the worktree had changes. */
  commit: string;
  /** 1-minute load average when the browser started and when it finished: other work on the machine. */
  load: { start: number; end: number };
}

export const loadNow = (): number => Math.round((loadavg()[0] ?? 0) * 100) / 100;

/** /proc/cpuinfo's model name is fuller than os.cpus() under some hypervisors. */
function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) return line.split(':')[1]?.trim() ?? '';
  } catch {
    // not Linux: os.cpus() below
  }
  return cpus()[0]?.model ?? 'unknown';
}

function git(args: string[], cwd: string): string {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

function packageVersion(root: string, dir: string): string {
  const pkg = JSON.parse(readFileSync(`${root}/${dir}/package.json`, 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export function describeMachine(
  root: string,
  browser: string,
  date: Date,
  loadAtStart: number,
): Machine {
  const dirty = git(['status', '--porcelain', '--untracked-files=no'], root) !== '';
  return {
    date: date.toISOString(),
    cpu: cpuModel(),
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${type()} ${release()} ${arch()}`,
    node: process.version,
    browser,
    webnets: packageVersion(root, '.'),
    onnxruntimeWeb: packageVersion(root, 'node_modules/onnxruntime-web'),
    commit: `${git(['rev-parse', '--short', 'HEAD'], root) || 'unknown'}${dirty ? '+dirty' : ''}`,
    load: { start: loadAtStart, end: loadNow() },
  };
}
