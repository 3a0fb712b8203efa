/**
 * torchvision EfficientNet (`efficientnet_b0`…`b7`): `features.0` stem, `features.<s+1>.<i>`
 * MBConv blocks whose `block.<j>` are [expand], depthwise, SE (`fc1`, `fc2`), project,
 * each a Conv2dNormActivation (`.0` conv, `.1` BN); `features.<stages+1>` head;
 * `classifier.1` the linear layer (`.0` is dropout).
 */
import type { NetworkSpec } from '../../models/spec';
import { blockPosition, convBias, convBn } from './types';
import type { NameMap, Naming } from './types';

function map(spec: NetworkSpec): NameMap {
  const convs: NameMap['convs'] = new Map();
  const conv = (prefix: string) => convBn(`${prefix}.0`, `${prefix}.1`);
  let stages = 0;
  for (const block of spec.blocks) {
    if (block.kind !== 'mbconv') continue;
    const { stage, index } = blockPosition(block.depthwise.name);
    stages = Math.max(stages, stage + 1);
    const prefix = `features.${stage + 1}.${index}.block`;
    let j = 0;
    if (block.expand) convs.set(block.expand.name, conv(`${prefix}.${j++}`));
    convs.set(block.depthwise.name, conv(`${prefix}.${j++}`));
    if (block.se) {
      convs.set(block.se.reduce.name, convBias(`${prefix}.${j}.fc1`));
      convs.set(block.se.expand.name, convBias(`${prefix}.${j++}.fc2`));
    }
    convs.set(block.project.name, conv(`${prefix}.${j}`));
  }
  convs.set('stem', conv('features.0'));
  convs.set('head', conv(`features.${stages + 1}`));
  return { convs, classifier: { weight: 'classifier.1.weight', bias: 'classifier.1.bias' } };
}

export const torchvisionEfficientNet: Naming = {
  naming: 'torchvision',
  family: 'efficientnet',
  marker: 'features.0.0.weight',
  map,
};
