/**
 * timm EfficientNet (`efficientnet_b*`, timm/models/_efficientnet_blocks.py): `conv_stem`
 * + `bn1`; `blocks.<s>.<i>` InvertedResidual (`conv_pw`/`bn1`, `conv_dw`/`bn2`,
 * `se.conv_reduce`/`se.conv_expand`, `conv_pwl`/`bn3`) or, without expansion,
 * DepthwiseSeparableConv (`conv_dw`/`bn1`, SE, `conv_pw`/`bn2`); `conv_head` + `bn2`;
 * `classifier`.
 */
import type { NetworkSpec } from '../../models/spec';
import { blockPosition, convBias, convBn } from './types';
import type { NameMap, Naming } from './types';

function map(spec: NetworkSpec): NameMap {
  const convs: NameMap['convs'] = new Map();
  for (const block of spec.blocks) {
    if (block.kind !== 'mbconv') continue;
    const { stage, index } = blockPosition(block.depthwise.name);
    const p = `blocks.${stage}.${index}`;
    if (block.expand) {
      convs.set(block.expand.name, convBn(`${p}.conv_pw`, `${p}.bn1`));
      convs.set(block.depthwise.name, convBn(`${p}.conv_dw`, `${p}.bn2`));
      convs.set(block.project.name, convBn(`${p}.conv_pwl`, `${p}.bn3`));
    } else {
      convs.set(block.depthwise.name, convBn(`${p}.conv_dw`, `${p}.bn1`));
      convs.set(block.project.name, convBn(`${p}.conv_pw`, `${p}.bn2`));
    }
    if (block.se) {
      convs.set(block.se.reduce.name, convBias(`${p}.se.conv_reduce`));
      convs.set(block.se.expand.name, convBias(`${p}.se.conv_expand`));
    }
  }
  convs.set('stem', convBn('conv_stem', 'bn1'));
  convs.set('head', convBn('conv_head', 'bn2'));
  return { convs, classifier: { weight: 'classifier.weight', bias: 'classifier.bias' } };
}

export const timmEfficientNet: Naming = {
  naming: 'timm',
  family: 'efficientnet',
  marker: 'conv_stem.weight',
  map,
};
