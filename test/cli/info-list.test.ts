/** `npx webnets info` and `npx webnets list` as users run them. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { webnets } from '../helpers/cli';
import { presetIds } from '../../src/models/presets';

describe('webnets info / list', () => {
  it('info regnety-400mf --json reports torchvision’s 4,344,144 parameters', async () => {
    const { code, stdout } = await webnets('info', 'regnety-400mf', '--json');
    expect(code).toBe(0);
    const info = JSON.parse(stdout) as Record<string, unknown>;
    expect(Object.keys(info).sort()).toEqual(
      ['activations', 'family', 'id', 'inputSize', 'macs', 'params'].sort(),
    );
    expect(info).toMatchObject({
      id: 'regnety-400mf',
      family: 'regnet',
      inputSize: 224,
      params: 4_344_144,
    });
    // The RegNet paper's RegNetY-400MF: 0.4 GF, 3.9 M activations.
    expect(Math.abs((info.macs as number) / 4e8 - 1)).toBeLessThan(0.05);
    expect(Math.round((info.activations as number) / 1e5) / 10).toBe(3.9);
  });

  it('info accepts generated ids and prints a readable table without --json', async () => {
    const { code, stdout } = await webnets('info', 'regnety-d16-w48-a27.89-m2.09-g8');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^id\s+family\s+input\s+params\s+MACs\s+activations\n/);
    expect(stdout).toMatch(
      /regnety-d16-w48-a27\.89-m2\.09-g8\s+regnet\s+224²\s+4\.34 M\s+401\.8 M\s+3\.89 M/,
    );
  });

  it('info of an unknown id exits 1 listing the known ones', async () => {
    const { code, stderr } = await webnets('info', 'resnet-50');
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /unknown model id 'resnet-50'; expected one of efficientnet-b0, .*fd-mobilenet-1x/,
    );
  });

  it('list --json lists every preset with the same fields as info', async () => {
    const { code, stdout } = await webnets('list', '--json');
    expect(code).toBe(0);
    const rows = JSON.parse(stdout) as { id: string; params: number }[];
    expect(rows.map((r) => r.id)).toEqual(presetIds());
    const single = JSON.parse(
      (await webnets('info', 'efficientnet-b0', '--json')).stdout,
    ) as unknown;
    expect(rows.find((r) => r.id === 'efficientnet-b0')).toEqual(single);
    expect(rows.find((r) => r.id === 'regnetx-400mf')!.params).toBe(5_495_976);
  });

  it('list prints one table line per preset', async () => {
    const { stdout } = await webnets('list');
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(presetIds().length + 1);
    expect(lines[1]).toMatch(
      /^efficientnet-b0\s+efficientnet\s+224²\s+5\.29 M\s+385\.8 M\s+6\.75 M$/,
    );
  });

  it("list --markdown is docs/models.md's model table (cells compared; prettier pads them)", async () => {
    const { code, stdout } = await webnets('list', '--markdown');
    expect(code).toBe(0);
    const readme = readFileSync(new URL('../../docs/models.md', import.meta.url), 'utf8');
    const match = /<!-- models:begin -->([\s\S]*?)<!-- models:end -->/.exec(readme);
    expect(match, 'docs/models.md lacks the <!-- models:begin/end --> markers').not.toBeNull();
    const cells = (table: string): string[][] =>
      table
        .trim()
        .split('\n')
        .filter((line) => line.startsWith('|') && !/^\|[\s:-]+\|/.test(line))
        .map((line) =>
          line
            .split('|')
            .slice(1, -1)
            .map((cell) => cell.trim()),
        );
    const generated = cells(stdout);
    expect(generated.length).toBe(presetIds().length + 1);
    expect(
      cells(match?.[1] ?? ''),
      'the model table in docs/models.md is stale: paste `npx webnets list --markdown` between the markers',
    ).toEqual(generated);
  });
});
