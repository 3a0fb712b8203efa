/**
 * timm RegNet (`regnetx_*`, `regnety_*`, timm/models/regnet.py): `stem.conv` + `stem.bn`;
 * `s<s+1>.b<i+1>` Bottlenecks with ConvNormAct `conv1`, `conv2`, `conv3` (`.conv`, `.bn`),
 * SEModule `se.fc1`/`se.fc2`, projection `downsample.conv`/`downsample.bn`; `head.fc`.
 * (timm's pycls-derived weights already have the first conv in RGB order.)
 */
import type { NetworkSpec } from '../../models/spec';
import { blockPosition, convBias, convBn } from './types';
import type { NameMap, Naming } from './types';

function map(spec: NetworkSpec): NameMap {
  const convs: NameMap['convs'] = new Map([['stem', convBn('stem.conv', 'stem.bn')]]);
  const conv = (prefix: string) => convBn(`${prefix}.conv`, `${prefix}.bn`);
  for (const block of spec.blocks) {
    if (block.kind !== 'bottleneck') continue;
    const { stage, index } = blockPosition(block.a.name);
    const p = `s${stage + 1}.b${index + 1}`;
    convs.set(block.a.name, conv(`${p}.conv1`));
    convs.set(block.b.name, conv(`${p}.conv2`));
    convs.set(block.c.name, conv(`${p}.conv3`));
    if (block.se) {
      convs.set(block.se.reduce.name, convBias(`${p}.se.fc1`));
      convs.set(block.se.expand.name, convBias(`${p}.se.fc2`));
    }
    if (block.shortcut) convs.set(block.shortcut.name, conv(`${p}.downsample`));
  }
  return { convs, classifier: { weight: 'head.fc.weight', bias: 'head.fc.bias' } };
}

export const timmRegNet: Naming = {
  naming: 'timm',
  family: 'regnet',
  marker: 'stem.conv.weight',
  map,
};
