export type Tags = Record<string, string>;

/** Tags as S3's `x-amz-tagging` header and `Tagging` parameters take them. */
export function encodeTags(tags: Tags): string {
  return new URLSearchParams(tags).toString();
}

export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
  etag?: string | undefined;
}

export interface MultipartUploadInfo {
  key: string;
  uploadId: string;
  initiated: Date;
}

export interface PutOptions {
  /**
   * First write wins: fail with AlreadyExistsError when the object exists, unless it holds
   * exactly `body` (this call's own write, landed by an attempt whose response was lost).
   */
  ifNoneMatch?: boolean;
  tags?: Tags;
  contentType?: string;
}

export interface UploadOptions {
  tags?: Tags;
  /** Multipart part size in bytes. */
  partSize?: number;
  /** Parts in flight at once. */
  queueSize?: number;
  onProgress?: (uploadedBytes: number) => void;
  signal?: AbortSignal;
}

export interface DeleteRequest {
  key: string;
  /** Delete only if the object still has this ETag (stores that cannot check ignore it). */
  etag?: string | undefined;
}

export interface DeleteResult {
  deleted: string[];
  /** Objects not deleted, with the reason (precondition failed, access denied, ...). */
  failed: { key: string; reason: string }[];
}

/**
 * What the cache needs from an object store. Two implementations: S3 (any S3-compatible
 * endpoint) and a local directory. Keys are `/`-separated; listings are in key order.
 */
export interface Store {
  /** Human-readable location, e.g. `s3://bucket/prefix` or a directory path. */
  readonly location: string;
  /** Whether conditional deletes (If-Match) are enforced. */
  readonly supportsConditionalDelete: boolean;
  putObject(key: string, body: Buffer, options?: PutOptions): Promise<void>;
  /**
   * Streams a large object (multipart on S3) from `body`'s pieces. The store is done with each
   * piece by the time it asks `body` for the next one (it copies or writes it first), so a piece
   * may be written over from then on. The object appears only once complete.
   */
  upload(key: string, body: AsyncIterable<Uint8Array>, options?: UploadOptions): Promise<{ size: number }>;
  getObject(key: string, signal?: AbortSignal): Promise<Buffer>;
  /** Bytes [start, end) of an object. */
  getRange(key: string, start: number, end: number, signal?: AbortSignal): Promise<Buffer>;
  /**
   * Bytes [start, end) of an object as the pieces they arrived in, for stores whose reads arrive
   * in pieces (a network body): restores address them in place instead of joining them.
   */
  getRangePieces?(key: string, start: number, end: number, signal?: AbortSignal): Promise<Buffer[]>;
  head(key: string): Promise<ObjectInfo | undefined>;
  list(prefix: string): AsyncIterable<ObjectInfo>;
  deleteObjects(requests: DeleteRequest[]): Promise<DeleteResult>;
  listMultipartUploads(prefix: string): AsyncIterable<MultipartUploadInfo>;
  abortMultipartUpload(upload: MultipartUploadInfo): Promise<void>;
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}
