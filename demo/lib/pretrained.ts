/**
 * Where the pages get published checkpoints for `load(id, { pretrained: true })`, read from
 * their address so that the camera demo, the latency page and its runner pages agree:
 *
 * - nothing: the publishers' URLs and hashes (models/models.json);
 * - `?checkpoints=<url>`: a mirror laid out like the publishers' paths (`baseUrl`);
 * - `?checkpoint=<id>:<sha256>:<url>` (repeatable): a checkpoint of one's own for a model
 *   (`checkpoints[id]`), e.g. a private copy or a file whose hash is not the published one.
 */
import { formatBytes } from './format';

export interface OwnCheckpoint {
  url: string;
  sha256: string;
}

export interface CheckpointChoice {
  baseUrl?: string;
  checkpoints?: Record<string, OwnCheckpoint>;
}

const MIRROR = 'checkpoints';
const OWN = 'checkpoint';

/** Reads the choice from a query string; throws naming a malformed `checkpoint=` value. */
export function parseCheckpointChoice(search: string): CheckpointChoice {
  const q = new URLSearchParams(search);
  const choice: CheckpointChoice = {};
  const baseUrl = q.get(MIRROR);
  if (baseUrl) choice.baseUrl = baseUrl;
  for (const value of q.getAll(OWN)) {
    const match = /^([^:]+):([0-9a-f]{64}):(.+)$/.exec(value);
    if (!match) {
      throw new Error(
        `?${OWN}=${value}: expected <model id>:<sha256, 64 lowercase hex digits>:<url>`,
      );
    }
    const [, id, sha256, url] = match as unknown as [string, string, string, string];
    choice.checkpoints = { ...choice.checkpoints, [id]: { url, sha256 } };
  }
  return choice;
}

/** The query parameters that say `choice` (what `parseCheckpointChoice` reads back). */
export function checkpointChoiceQuery(choice: CheckpointChoice): [string, string][] {
  return [
    ...(choice.baseUrl ? [[MIRROR, choice.baseUrl] as [string, string]] : []),
    ...Object.entries(choice.checkpoints ?? {}).map(([id, c]): [string, string] => [
      OWN,
      `${id}:${c.sha256}:${c.url}`,
    ]),
  ];
}

/** `load`'s options for a model's pretrained weights under `choice`. */
export function pretrainedLoadOptions(
  id: string,
  choice: CheckpointChoice,
): { pretrained: true; baseUrl?: string; checkpoints?: Record<string, OwnCheckpoint> } {
  const own = choice.checkpoints?.[id];
  return {
    pretrained: true,
    ...(choice.baseUrl ? { baseUrl: choice.baseUrl } : {}),
    ...(own ? { checkpoints: { [id]: own } } : {}),
  };
}

/** Whether the pages can offer pretrained weights for a model: published, or given. */
export function hasCheckpoint(
  entry: { id: string; source: string | null },
  choice: CheckpointChoice,
): boolean {
  return entry.source !== null || choice.checkpoints?.[entry.id] !== undefined;
}

/** A float32 checkpoint holds about 4 bytes a parameter. */
export function checkpointBytes(entry: { complexity: { params: number } }): number {
  return 4 * entry.complexity.params;
}

/** The offer's label: "Download pretrained weights (≈ 21.2 MiB)". */
export function offerText(entry: { complexity: { params: number } }): string {
  return `Download pretrained weights (≈ ${formatBytes(checkpointBytes(entry))})`;
}

/**
 * What a download shows as it goes: its bytes, then (for a checkpoint, once all arrived)
 * that it is being converted, which `onProgress` does not report.
 */
export function downloadText(
  name: string,
  { loaded, total }: { loaded: number; total: number },
  checkpoint: boolean,
): string {
  return checkpoint && total > 0 && loaded === total
    ? `Converting ${name}'s checkpoint…`
    : `Downloading ${name}: ${formatBytes(loaded)} of ${formatBytes(total)}`;
}
