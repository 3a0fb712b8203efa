/**
 * A name map says where each tensor of a spec lives in one source's state dict. The
 * generic converter (../map.ts) does the rest — fetching, BN folding, transposing,
 * checking shapes — so a naming module is only a walk over the spec's blocks.
 */
import type { Family, NetworkSpec } from '../../models/spec';
import type { PackSource } from '../../weights/pack';

/** A conv's source tensors: its weight, then either a batch-norm prefix or its own bias. */
export type ConvSource =
  | { weight: string; bn: string } // `${bn}.weight|bias|running_mean|running_var`
  | { weight: string; bias: string };

export interface NameMap {
  /** Source names by spec conv name. */
  convs: Map<string, ConvSource>;
  classifier: { weight: string; bias: string };
}

export interface Naming {
  naming: PackSource['naming'];
  family: Family;
  /** A key that this naming has and the family's other namings lack (for detection). */
  marker: string;
  map(spec: NetworkSpec): NameMap;
}

/** A PyTorch conv module + the batch norm after it (`${conv}.weight`, `${bn}.*`). */
export const convBn = (conv: string, bn: string): ConvSource => ({
  weight: `${conv}.weight`,
  bn,
});

/** A PyTorch conv module with its own bias. */
export const convBias = (conv: string): ConvSource => ({
  weight: `${conv}.weight`,
  bias: `${conv}.bias`,
});

/** The stage and index the generators encode in block conv names (`stages.<s>.<i>.<role>`). */
export function blockPosition(convName: string): { stage: number; index: number } {
  const m = /^stages\.(\d+)\.(\d+)\./.exec(convName);
  if (!m) throw new Error(`conv '${convName}' is not named stages.<s>.<i>.<role>`);
  return { stage: Number(m[1]), index: Number(m[2]) };
}
