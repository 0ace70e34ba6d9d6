import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  AlreadyExistsError,
  type DeleteRequest,
  type DeleteResult,
  type MultipartUploadInfo,
  type ObjectInfo,
  ObjectMissingError,
  type PutOptions,
  type Store,
  StoreError,
} from '@s3cache/core';

interface Stored {
  body: Buffer;
  lastModified: Date;
  etag: string;
  tags: Record<string, string>;
}

export interface DeleteCall {
  keys: string[];
}

/**
 * An in-memory Store with S3's semantics for what the janitor relies on: conditional deletes
 * (ETag), per-key DeleteObjects errors, and injectable faults (throttling, denied keys).
 */
export class MemoryStore implements Store {
  readonly location = 'memory://test';
  readonly objects = new Map<string, Stored>();
  readonly uploads: MultipartUploadInfo[] = [];
  readonly deleteCalls: DeleteCall[] = [];
  /** Throw a 503 SlowDown StoreError for the next N DeleteObjects calls. */
  throwSlowDown = 0;
  /** Report SlowDown for each of these keys the next N times they are deleted. */
  readonly slowKeys = new Map<string, number>();
  /** Keys whose deletion is refused (AccessDenied). */
  readonly deniedKeys = new Set<string>();
  /** Called after each DeleteObjects call (to interleave concurrent writers in tests). */
  onDelete: ((keys: string[]) => void) | undefined;
  clock: () => Date = () => new Date();

  constructor(readonly supportsConditionalDelete = true) {}

  put(key: string, body: string | Buffer, lastModified?: Date): ObjectInfo {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    const stored: Stored = {
      body: bytes,
      lastModified: lastModified ?? this.clock(),
      etag: `"${createHash('md5').update(bytes).digest('hex')}"`,
      tags: {},
    };
    this.objects.set(key, stored);
    return { key, size: bytes.length, lastModified: stored.lastModified, etag: stored.etag };
  }

  keys(): string[] {
    return [...this.objects.keys()].sort();
  }

  async putObject(key: string, body: Buffer, options: PutOptions = {}): Promise<void> {
    if (options.ifNoneMatch && this.objects.has(key)) throw new AlreadyExistsError(key);
    this.put(key, body);
    const stored = this.objects.get(key);
    if (stored && options.tags) stored.tags = { ...options.tags };
  }

  async upload(key: string, body: Readable): Promise<{ size: number }> {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    this.put(key, bytes);
    return { size: bytes.length };
  }

  async getObject(key: string): Promise<Buffer> {
    const stored = this.objects.get(key);
    if (!stored) throw new ObjectMissingError(key);
    return stored.body;
  }

  async getRange(key: string, start: number, end: number): Promise<Buffer> {
    return (await this.getObject(key)).subarray(start, end);
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const stored = this.objects.get(key);
    return stored
      ? { key, size: stored.body.length, lastModified: stored.lastModified, etag: stored.etag }
      : undefined;
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    for (const key of this.keys()) {
      if (!key.startsWith(prefix)) continue;
      const stored = this.objects.get(key);
      if (stored)
        yield { key, size: stored.body.length, lastModified: stored.lastModified, etag: stored.etag };
    }
  }

  async deleteObjects(requests: DeleteRequest[]): Promise<DeleteResult> {
    if (requests.length > 1000) throw new StoreError('MalformedXML: more than 1000 keys', 'MalformedXML');
    this.deleteCalls.push({ keys: requests.map((r) => r.key) });
    if (this.throwSlowDown > 0) {
      this.throwSlowDown--;
      throw new StoreError('DeleteObjects failed: SlowDown (HTTP 503)', 'SlowDown', {
        cause: { $metadata: { httpStatusCode: 503 } },
      });
    }
    const result: DeleteResult = { deleted: [], failed: [] };
    for (const { key, etag } of requests) {
      const slow = this.slowKeys.get(key) ?? 0;
      if (slow > 0) {
        this.slowKeys.set(key, slow - 1);
        result.failed.push({ key, reason: 'SlowDown: Please reduce your request rate.' });
        continue;
      }
      if (this.deniedKeys.has(key)) {
        result.failed.push({ key, reason: 'AccessDenied: Access Denied' });
        continue;
      }
      const stored = this.objects.get(key);
      if (this.supportsConditionalDelete && etag !== undefined) {
        // AWS: If-Match on a missing key answers NoSuchKey; on another ETag PreconditionFailed.
        if (!stored) {
          result.failed.push({ key, reason: 'NoSuchKey: The specified key does not exist.' });
          continue;
        }
        if (stored.etag !== etag) {
          result.failed.push({
            key,
            reason: 'PreconditionFailed: At least one of the pre-conditions you specified did not hold',
          });
          continue;
        }
      }
      this.objects.delete(key);
      result.deleted.push(key);
    }
    this.onDelete?.(requests.map((r) => r.key));
    return result;
  }

  async *listMultipartUploads(prefix: string): AsyncIterable<MultipartUploadInfo> {
    for (const upload of this.uploads) if (upload.key.startsWith(prefix)) yield upload;
  }

  async abortMultipartUpload(upload: MultipartUploadInfo): Promise<void> {
    const i = this.uploads.findIndex((u) => u.uploadId === upload.uploadId);
    if (i >= 0) this.uploads.splice(i, 1);
  }
}
