import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  type ListMultipartUploadsCommandOutput,
  PutObjectCommand,
  paginateListObjectsV2,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { AlreadyExistsError, IntegrityError, ObjectMissingError, StoreError } from '../errors.js';
import { UploadTooLargeError, uploadStream } from './multipart-upload.js';
import { withRetry } from './retry.js';
import {
  type DeleteRequest,
  type DeleteResult,
  encodeTags,
  type MultipartUploadInfo,
  type ObjectInfo,
  type PutOptions,
  type Store,
  type UploadOptions,
} from './store.js';

export interface S3ClientOptions {
  region?: string | undefined;
  /** An S3-compatible endpoint (MinIO, Ceph RGW, ...): path-style addressing is used with it. */
  endpoint?: string | undefined;
  credentials?: S3ClientConfig['credentials'];
  /** A named profile of the shared AWS config files. */
  profile?: string | undefined;
  /** Sockets per host: enough for parallel ranged GETs and multipart parts. */
  maxSockets?: number;
  /**
   * A request whose socket sees no traffic for this long (a stalled server, a lost response, a
   * body that stops mid-way) fails with a TimeoutError and is retried. Default 120,000 ms.
   */
  idleTimeoutMs?: number;
  /** TCP connect limit in ms (default 10,000). */
  connectionTimeoutMs?: number;
  /** SDK attempts per request, the first included (default 5). */
  maxAttempts?: number;
}

/**
 * An S3Client with settings that suit large parallel transfers and S3-compatible servers:
 * keep-alive sockets, bounded connect/idle timeouts, SDK retries for 5xx/SlowDown, and request
 * checksums only where S3 requires them (every chunk is verified by sha256 ourselves, and RGW
 * rejects the SDK's default streaming checksums).
 */
export function createS3Client(options: S3ClientOptions = {}): S3Client {
  const maxSockets = options.maxSockets ?? 64;
  const client = new S3Client({
    region: options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
    // A bucket in another region than configured answers 301: follow it instead of failing.
    followRegionRedirects: true,
    maxAttempts: options.maxAttempts ?? 5,
    retryMode: 'adaptive',
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? 10_000,
      // An inactivity limit, not the SDK's `requestTimeout`: that one only logs a warning unless
      // `throwOnRequestTimeout` is set, and then bounds a whole request (a slow 32 MiB part
      // upload included), where a stall is what must be cut.
      socketTimeout: options.idleTimeoutMs ?? 120_000,
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
    },
  });
  client.middlewareStack.add(
    (next, context) => (args) => {
      if (context.commandName === 'UploadPartCommand') unsignPayload(args.request);
      return next(args);
    },
    { step: 'build', name: 's3cacheUnsignedPartPayload' },
  );
  return client;
}

/**
 * Multipart parts are sent with `x-amz-content-sha256: UNSIGNED-PAYLOAD`. The SDK otherwise
 * hashes every part body for SigV4, over HTTPS too: 0.7 CPU-seconds per GiB on the thread that
 * also chunks, hashes and uploads the cache. Parts only ever carry pack bytes, and every chunk of
 * a pack is checked on restore against the sha256 in its manifest, which is uploaded with a signed
 * payload: bytes altered in transit fail that check and the restore is a miss, never a poisoned
 * cache. Requests themselves stay signed, and HTTPS (AWS) protects the bytes in transit as well.
 */
function unsignPayload(request: unknown): void {
  const headers = (request as { headers?: Record<string, string> }).headers;
  if (headers) headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
}

interface AwsLikeError {
  name?: string;
  Code?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

function statusOf(err: unknown): number | undefined {
  return (err as AwsLikeError)?.$metadata?.httpStatusCode;
}

function codeOf(err: unknown): string | undefined {
  const e = err as AwsLikeError;
  return e?.Code ?? e?.name ?? e?.code;
}

/** Network resets and truncated bodies surface outside the SDK's retry loop: retry them here. */
function transient(err: unknown): boolean {
  if (err instanceof IntegrityError) return true;
  const status = statusOf(err);
  if (status !== undefined) return status >= 500 || status === 429 || status === 408;
  const code = codeOf(err) ?? '';
  return /ECONNRESET|EPIPE|ETIMEDOUT|ECONNREFUSED|socket|Timeout|Premature|aborted|TimeoutError/i.test(
    `${code} ${(err as Error)?.message ?? ''}`,
  );
}

export interface S3StoreOptions {
  bucket: string;
  /**
   * Whether the endpoint honours ETag conditions in DeleteObjects (AWS does; Ceph RGW 16 ignores
   * them and deletes anyway). Default true.
   */
  conditionalDeletes?: boolean;
  /** Attempts for body reads that fail after the SDK returned (resets, truncation). */
  readAttempts?: number;
}

/** Store over an injected S3Client. */
export class S3Store implements Store {
  readonly supportsConditionalDelete: boolean;
  readonly location: string;
  private readonly bucket: string;
  private readonly readAttempts: number;

  constructor(
    private readonly client: S3Client,
    options: S3StoreOptions,
  ) {
    this.bucket = options.bucket;
    this.supportsConditionalDelete = options.conditionalDeletes ?? true;
    this.readAttempts = options.readAttempts ?? 5;
    this.location = `s3://${options.bucket}`;
  }

  private fail(op: string, key: string, err: unknown): never {
    const status = statusOf(err);
    const code = codeOf(err);
    // A missing bucket also answers 404: check for it first, it is configuration, not a miss.
    if (code === 'NoSuchBucket') {
      throw new StoreError(`bucket "${this.bucket}" does not exist (${op} ${key})`, code, { cause: err });
    }
    if (status === 404 || code === 'NoSuchKey' || code === 'NotFound') {
      throw new ObjectMissingError(key, { cause: err });
    }
    // One line, bounded: SDK messages can carry a whole response body (an XML parse error).
    const full = ((err as Error)?.message ?? String(err)).replace(/\s+/g, ' ').trim();
    const detail = full.length > 300 ? `${full.slice(0, 300)}...` : full;
    throw new StoreError(
      `${op} s3://${this.bucket}/${key} failed: ${code ?? 'error'}${status ? ` (HTTP ${status})` : ''}: ${detail}`,
      code,
      {
        cause: err,
      },
    );
  }

  async putObject(key: string, body: Buffer, options: PutOptions = {}): Promise<void> {
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentLength: body.length,
          ...(options.ifNoneMatch ? { IfNoneMatch: '*' } : {}),
          ...(options.tags ? { Tagging: encodeTags(options.tags) } : {}),
          ...(options.contentType ? { ContentType: options.contentType } : {}),
        }),
      );
    } catch (err) {
      if (options.ifNoneMatch) {
        const status = statusOf(err);
        // 412: somebody wrote it first; 409: a concurrent conditional write is completing. But
        // the somebody may be this very call: when a response is lost (reset, timeout, 5xx after
        // the write) the SDK retries, and the retry meets our own object. Any failure of a
        // conditional write is therefore settled by reading the key back: our bytes there mean
        // we won (a manifest carries a unique id, so equal bytes are ours).
        const stored = await this.storedAfterFailedPut(key, body);
        if (stored === 'ours') return;
        if (stored === 'theirs' || status === 412 || status === 409)
          throw new AlreadyExistsError(key, { cause: err });
      }
      this.fail('PutObject', key, err);
    }
  }

  /** After a failed conditional PUT: whose object (if any) the key now holds. */
  private async storedAfterFailedPut(
    key: string,
    body: Buffer,
  ): Promise<'ours' | 'theirs' | 'absent' | 'unknown'> {
    try {
      const stored = Buffer.concat(await this.read(key, undefined));
      return stored.equals(body) ? 'ours' : 'theirs';
    } catch (err) {
      return err instanceof ObjectMissingError ? 'absent' : 'unknown';
    }
  }

  async upload(
    key: string,
    body: AsyncIterable<Uint8Array>,
    options: UploadOptions = {},
  ): Promise<{ size: number }> {
    try {
      await uploadStream(body, {
        client: this.client,
        bucket: this.bucket,
        key,
        tags: options.tags,
        partSize: options.partSize ?? 32 * 1024 * 1024,
        queueSize: options.queueSize ?? 4,
        signal: options.signal,
        onProgress: options.onProgress,
      });
    } catch (err) {
      if (err instanceof RangeError || err instanceof UploadTooLargeError) throw err;
      this.fail('Upload', key, err);
    }
    const head = await this.head(key);
    if (!head) throw new StoreError(`upload of ${key} completed but the object is not there`, undefined);
    return { size: head.size };
  }

  /** GETs whose body can fail after the SDK returned (reset, truncation) are retried here. */
  private async read(
    key: string,
    range: [number, number] | undefined,
    signal?: AbortSignal,
  ): Promise<Buffer[]> {
    // Failures of `send` itself went through the SDK's own retries already: retrying them here
    // too would multiply attempts (5 x 5 GETs against a throttling S3). Only what fails after
    // the SDK returned (a reset or truncated body) is retried here.
    const settledBySdk = new WeakSet<object>();
    const attempt = async (): Promise<Buffer[]> => {
      const out = await this.client
        .send(
          new GetObjectCommand({
            Bucket: this.bucket,
            Key: key,
            ...(range ? { Range: `bytes=${range[0]}-${range[1] - 1}` } : {}),
          }),
          signal ? { abortSignal: signal } : {},
        )
        .catch((err: unknown) => {
          if (typeof err === 'object' && err !== null) settledBySdk.add(err);
          throw err;
        });
      const expected = range ? range[1] - range[0] : out.ContentLength;
      return bodyPieces(
        out.Body as Readable | AsyncIterable<Uint8Array> | undefined,
        expected,
        (received) => new IntegrityError(`GET ${key} returned ${received} bytes, expected ${expected}`),
      );
    };
    try {
      return await withRetry(attempt, {
        attempts: this.readAttempts,
        baseDelayMs: 200,
        maxDelayMs: 5_000,
        retryable: (err) =>
          !(typeof err === 'object' && err !== null && settledBySdk.has(err)) && transient(err),
        signal,
      });
    } catch (err) {
      if (err instanceof IntegrityError) throw err;
      this.fail('GetObject', key, err);
    }
  }

  async getObject(key: string, signal?: AbortSignal): Promise<Buffer> {
    return Buffer.concat(await this.read(key, undefined, signal));
  }

  async getRange(key: string, start: number, end: number, signal?: AbortSignal): Promise<Buffer> {
    return Buffer.concat(await this.read(key, [start, end], signal));
  }

  getRangePieces(key: string, start: number, end: number, signal?: AbortSignal): Promise<Buffer[]> {
    return this.read(key, [start, end], signal);
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return {
        key,
        size: out.ContentLength ?? 0,
        lastModified: out.LastModified ?? new Date(0),
        etag: out.ETag,
      };
    } catch (err) {
      if (statusOf(err) === 404 || codeOf(err) === 'NotFound') return undefined;
      this.fail('HeadObject', key, err);
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    try {
      for await (const page of paginateListObjectsV2(
        { client: this.client, pageSize: 1000 },
        { Bucket: this.bucket, Prefix: prefix },
      )) {
        for (const object of page.Contents ?? []) {
          if (object.Key === undefined) continue;
          yield {
            key: object.Key,
            size: object.Size ?? 0,
            lastModified: object.LastModified ?? new Date(0),
            etag: object.ETag,
          };
        }
      }
    } catch (err) {
      this.fail('ListObjectsV2', prefix, err);
    }
  }

  async deleteObjects(requests: DeleteRequest[]): Promise<DeleteResult> {
    const result: DeleteResult = { deleted: [], failed: [] };
    for (let i = 0; i < requests.length; i += 1000) {
      const batch = requests.slice(i, i + 1000);
      try {
        const out = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: {
              Quiet: false,
              Objects: batch.map(({ key, etag }) => ({ Key: key, ...(etag ? { ETag: etag } : {}) })),
            },
          }),
        );
        for (const d of out.Deleted ?? []) if (d.Key !== undefined) result.deleted.push(d.Key);
        for (const e of out.Errors ?? []) {
          if (e.Key !== undefined)
            result.failed.push({ key: e.Key, reason: `${e.Code ?? 'Error'}: ${e.Message ?? ''}`.trim() });
        }
      } catch (err) {
        this.fail('DeleteObjects', batch[0]?.key ?? '', err);
      }
    }
    return result;
  }

  async *listMultipartUploads(prefix: string): AsyncIterable<MultipartUploadInfo> {
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      let page: ListMultipartUploadsCommandOutput;
      try {
        page = await this.client.send(
          new ListMultipartUploadsCommand({
            Bucket: this.bucket,
            Prefix: prefix,
            ...(keyMarker ? { KeyMarker: keyMarker } : {}),
            ...(uploadIdMarker ? { UploadIdMarker: uploadIdMarker } : {}),
          }),
        );
      } catch (err) {
        this.fail('ListMultipartUploads', prefix, err);
      }
      for (const u of page.Uploads ?? []) {
        if (u.Key && u.UploadId)
          yield { key: u.Key, uploadId: u.UploadId, initiated: u.Initiated ?? new Date(0) };
      }
      if (!page.IsTruncated) return;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
  }

  async abortMultipartUpload(upload: MultipartUploadInfo): Promise<void> {
    try {
      await this.client.send(
        new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: upload.key, UploadId: upload.uploadId }),
      );
    } catch (err) {
      if (statusOf(err) === 404) return;
      this.fail('AbortMultipartUpload', upload.key, err);
    }
  }
}

/**
 * A response body as the pieces it arrived in. Joining them would copy every byte into a fresh
 * buffer, and those allocations drove a full garbage collection every few tens of megabytes of a
 * restore; a Node stream is read through 'data' events because its async iterator joins whatever
 * is buffered on every read, the same copy again. More or fewer bytes than `expected` reject with
 * `wrongLength(received)`, more as soon as they arrive.
 */
async function bodyPieces(
  body: Readable | AsyncIterable<Uint8Array> | undefined,
  expected: number | undefined,
  wrongLength: (received: number) => Error,
): Promise<Buffer[]> {
  const pieces: Buffer[] = [];
  let received = 0;
  const take = (piece: Uint8Array): Error | undefined => {
    pieces.push(
      Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength),
    );
    received += piece.byteLength;
    return expected !== undefined && received > expected ? wrongLength(received) : undefined;
  };
  if (body instanceof Readable) {
    body.on('data', (piece: Uint8Array) => {
      const err = take(piece);
      if (err) body.destroy(err);
    });
    await finished(body);
  } else {
    for await (const piece of body ?? []) {
      const err = take(piece);
      if (err) throw err;
    }
  }
  if (expected !== undefined && received !== expected) throw wrongLength(received);
  return pieces;
}
