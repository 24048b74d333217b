// What crosses the thread boundary between the transfer manager and a copier.
// Only plain data crosses it: Comlink keeps nothing of an exception but its
// name, message and stack, so failures travel as outcomes with a stable code.

/** Where a copy stands: the source offset just past the last whole record written. */
export interface Cursor {
  offset: number;
  records: number;
}

/** What a copy has done so far, sent a few times a second at most. */
export interface Progress extends Cursor {
  bytesTotal: number;
}

/** The facts that tell whether a source is still the file a copy started on. */
export interface SourceIdentity {
  size: number;
  mtimeMs: number;
  inode: number;
}

/** One run of a copy, from `cursor` to the end of the source or a stop. */
export interface CopyJob {
  id: string;
  source: string;
  /** The finished file's path; the copy writes `${destination}.part` until done. */
  destination: string;
  cursor: Cursor;
  /** Set when resuming, so that a source changed since the pause is refused. */
  expectedSource: SourceIdentity | null;
  delimiter: string;
  chunkBytes: number;
  maxRecordBytes: number;
  /** Bytes per second at most, or 0 for as fast as the disk allows. */
  rateLimit: number;
  /** Whether to compute the SHA-256 of the copy while writing it. */
  checksum: boolean;
}

export type StopRequest = 'pause' | 'terminate';

export interface CopyError {
  code: string;
  message: string;
}

/** How a run ended; the `.part` file ends at `cursor.offset`, on a whole record. */
export type CopyOutcome =
  | {
      kind: 'completed' | 'paused' | 'terminated';
      cursor: Cursor;
      bytesTotal: number;
      /** The source as this run found it; null when the run never opened it. */
      source: SourceIdentity | null;
      /** Hex SHA-256 of the whole copy, once completed with the checksum on. */
      sha256: string | null;
    }
  | { kind: 'failed'; cursor: Cursor; bytesTotal: number; error: CopyError };

/** The API a copier thread exposes through Comlink. */
export interface CopierApi {
  copy(job: CopyJob, onProgress: (progress: Progress) => void): Promise<CopyOutcome>;
  /** Asks a running copy to stop after its current chunk; false if none runs. */
  stop(id: string, request: StopRequest): boolean;
  /** Drops what the thread keeps of a paused copy (its checksum state). */
  forget(id: string): void;
}

export const partPath = (destination: string): string => `${destination}.part`;
