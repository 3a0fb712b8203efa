/**
 * torchvision RegNet (`regnet_x_*`, `regnet_y_*`): `stem.0` conv + `stem.1` BN;
 * `trunk_output.block<s+1>.block<s+1>-<i>` blocks with `f.a`, `f.b`, `f.c`
 * (Conv2dNormActivation: `.0` conv, `.1` BN), `f.se.fc1`/`fc2`, projection `proj.0`/`proj.1`;
 * `fc` the classifier.
 */
import type { NetworkSpec } from '../../models/spec';
import { blockPosition, convBias, convBn } from './types';
import type { NameMap, Naming } from './types';

function map(spec: NetworkSpec): NameMap {
  const convs: NameMap['convs'] = new Map([['stem', convBn('stem.0', 'stem.1')]]);
  const conv = (prefix: string) => convBn(`${prefix}.0`, `${prefix}.1`);
  for (const block of spec.blocks) {
    if (block.kind !== 'bottleneck') continue;
    const { stage, index } = blockPosition(block.a.name);
    const p = `trunk_output.block${stage + 1}.block${stage + 1}-${index}`;
    convs.set(block.a.name, conv(`${p}.f.a`));
    convs.set(block.b.name, conv(`${p}.f.b`));
    convs.set(block.c.name, conv(`${p}.f.c`));
    if (block.se) {
      convs.set(block.se.reduce.name, convBias(`${p}.f.se.fc1`));
      convs.set(block.se.expand.name, convBias(`${p}.f.se.fc2`));
    }
    if (block.shortcut) convs.set(block.shortcut.name, conv(`${p}.proj`));
  }
  return { convs, classifier: { weight: 'fc.weight', bias: 'fc.bias' } };
}

export const torchvisionRegNet: Naming = {
  naming: 'torchvision',
  family: 'regnet',
  marker: 'stem.0.weight',
  map,
};
