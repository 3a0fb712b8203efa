/**
 * The messages between a page converting a checkpoint (client.ts) and its conversion
 * worker (server.ts, dist/webnets-convert.js): one job, one answer, then the worker ends.
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

export type ConvertReply =
  | { type: 'converted'; manifest: PackManifest; data: ArrayBuffer }
  | { type: 'failed'; error: WireError };
