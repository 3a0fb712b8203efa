/**
 * The messages between a page converting a checkpoint (client.ts) and its conversion
 * worker (server.ts, dist/webnets-convert.js): one job, heartbeats while it works, one
 * answer, then the worker ends.
 */
import type { PackDtype, PackManifest } from '../../weights/pack';
import type { WireError } from '../worker/protocol';

export interface ConvertJob {
  /** The preset the checkpoint is for. */
  id: string;
  /** The checkpoint's file name (in the pack's record and every error). */
  file: string;
  /** Its verified sha256. */
  sha256: string;
  dtype: PackDtype;
}

/** The checkpoint's bytes travel as a transferred buffer, not a copy. */
export type ConvertRequest = { type: 'convert'; job: ConvertJob; bytes: ArrayBuffer };

/**
 * How often, at most, the worker says it is alive: from a timer while its event loop is
 * free, and as it reads each tensor during the synchronous encoding, which blocks timers.
 * The page treats a worker silent for its stall timeout as dead (ended, crashed, out of
 * memory), but never for less than SILENCE_FLOOR_MS, which several heartbeats fit in.
 */
export const HEARTBEAT_MS = 250;
export const SILENCE_FLOOR_MS = 2000;

export type ConvertReply =
  | { type: 'alive' }
  | { type: 'converted'; manifest: PackManifest; data: ArrayBuffer }
  | { type: 'failed'; error: WireError };
