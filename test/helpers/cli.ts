/** Runs the `webnets` command as users do (`node bin/webnets.js …`), capturing its output. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function webnets(...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run('node', ['bin/webnets.js', ...args], { timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as CliResult;
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
