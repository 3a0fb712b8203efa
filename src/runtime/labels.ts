/**
 * Label sets shipped in models/, by the name a pack's manifest gives (`labels`).
 * They are bundled into dist/webnets.js (ImageNet-1k: ~20 KB), so classify needs no fetch.
 */
import imagenet1k from '../../models/imagenet-1k.json';

const labelSets: Record<string, readonly string[]> = {
  'imagenet-1k': imagenet1k,
};

export function labelSetNames(): string[] {
  return Object.keys(labelSets);
}

/** The class names of a label set, in class-index order. */
export function labelSet(name: string): readonly string[] {
  const labels = labelSets[name];
  if (labels === undefined) {
    throw new Error(`unknown label set '${name}': known sets are ${labelSetNames().join(', ')}`);
  }
  return labels;
}
