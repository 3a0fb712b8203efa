/**
 * `listModels()`: every preset with its size and, where one is published, its pretrained
 * checkpoint and ImageNet accuracy (models/models.json). Packs are converted from those
 * checkpoints with `npx webnets convert`; presets without one run with synthetic weights.
 */
import type { Complexity } from '../models/complexity';
import { complexity } from '../models/complexity';
import { pretrainedFor } from '../models/pretrained';
import { getSpec, presetIds } from '../models/presets';
import type { Family } from '../models/spec';

export interface ModelListing {
  id: string;
  family: Family;
  inputSize: number;
  complexity: Complexity;
  /** The published checkpoint, or null (synthetic weights only). */
  pretrained: {
    source: string;
    weights: string;
    url: string;
    /**
     * What `load(id, { pretrained: true })` checks the download against: the full sha256, or
     * the 8 hex digits torch.hub puts in torchvision's file names; null when the publisher
     * gives none (then `pretrained: true` needs `checkpoints[id]`).
     */
    sha256: string | null;
    /** ImageNet-1k accuracy in percent, as published; null when not published. */
    top1: number | null;
    top5: number | null;
  } | null;
}

export function listModels(): ModelListing[] {
  return presetIds().map((id) => {
    const spec = getSpec(id);
    const entry = pretrainedFor(id);
    return {
      id,
      family: spec.family,
      inputSize: spec.inputSize,
      complexity: complexity(spec),
      pretrained: entry
        ? {
            source: entry.source,
            weights: entry.weights,
            url: entry.url,
            sha256: entry.sha256 ?? entry.sha256Prefix,
            top1: entry.top1,
            top5: entry.top5,
          }
        : null,
    };
  });
}
