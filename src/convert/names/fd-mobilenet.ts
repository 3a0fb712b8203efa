/**
 * The FD-MobileNet authors' checkpoints (qinzheng93/FD-MobileNet): the spec's conv names
 * are their conv keys; each conv's batch norm has the same name with `conv` → `norm`
 * (`features.conv_0` / `features.norm_0`, `features.dw_conv_i` / `features.dw_norm_i`,
 * `features.pw_conv_i` / `features.pw_norm_i`); `classifier`.
 */
import { blockConvs } from '../../models/spec';
import type { NetworkSpec } from '../../models/spec';
import { convBn } from './types';
import type { NameMap, Naming } from './types';

function map(spec: NetworkSpec): NameMap {
  const convs: NameMap['convs'] = new Map();
  for (const conv of spec.blocks.flatMap(blockConvs)) {
    convs.set(conv.name, convBn(conv.name, conv.name.replace(/conv_(\d+)$/, 'norm_$1')));
  }
  return { convs, classifier: { weight: 'classifier.weight', bias: 'classifier.bias' } };
}

export const fdMobileNetAuthors: Naming = {
  naming: 'fd-mobilenet',
  family: 'fd-mobilenet',
  marker: 'features.conv_0.weight',
  map,
};
