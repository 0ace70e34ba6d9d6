import {
  AbortMultipartUploadCommand,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { encodeTags, type Tags } from './store.js';

/** S3's smallest part, the last one excepted. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
/** S3's most parts per upload. */
export const MAX_PARTS = 10_000;

export interface StreamUploadParams {
  client: S3Client;
  bucket: string;
  key: string;
  tags?: Tags | undefined;
  /** Bytes per part (at least MIN_PART_BYTES); also the size of each reused part buffer. */
  partSize: number;
  /** Parts uploading at once. */
  queueSize: number;
  signal?: AbortSignal | undefined;
  /** Bytes whose upload completed so far. */
  onProgress?: ((bytes: number) => void) | undefined;
}

export class UploadTooLargeError extends Error {
  override name = 'UploadTooLargeError';
}

/**
 * Uploads `body` of unknown length as one object: a single PUT when it fits in one part,
 * otherwise a multipart upload with `queueSize` parts in flight. The object appears only once
 * complete; on failure the multipart upload is aborted.
 *
 * Pieces are copied into `queueSize + 1` part buffers that are reused for the whole upload.
 * @aws-sdk/lib-storage joins each part from the stream's pieces into a fresh buffer instead:
 * 0.6 CPU-seconds per GiB for the copies and their page faults, and the garbage collector's work
 * on top, on the thread that also chunks and hashes the cache.
 */
export async function uploadStream(body: AsyncIterable<Uint8Array>, p: StreamUploadParams): Promise<number> {
  if (!(p.partSize >= MIN_PART_BYTES)) throw new RangeError(`part size ${p.partSize} is below 5 MiB`);
  const { client, bucket, key, signal } = p;
  const options = signal ? { abortSignal: signal } : {};
  const tagging = (p.tags && encodeTags(p.tags)) || undefined;
  const free: Buffer[] = [];
  let allocated = 0;
  const inFlight = new Set<Promise<void>>();
  const parts: CompletedPart[] = [];
  let uploadId: string | undefined;
  let failure: { error: unknown } | undefined;
  let current: Buffer | undefined;
  let fill = 0;
  let partNumber = 0;
  let total = 0;
  let uploaded = 0;

  const check = (): void => {
    if (failure) throw failure.error;
    signal?.throwIfAborted();
  };

  /** A part buffer: a free one, a new one while fewer than queueSize + 1 exist, or the next freed. */
  const take = async (): Promise<Buffer> => {
    while (true) {
      check();
      const buffer = free.pop();
      if (buffer) return buffer;
      if (allocated <= p.queueSize) {
        allocated++;
        return Buffer.allocUnsafe(p.partSize);
      }
      await Promise.race(inFlight);
    }
  };

  const uploadPart = async (buffer: Buffer, length: number, number: number): Promise<void> => {
    try {
      const out = await client.send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: number,
          Body: buffer.subarray(0, length),
          ContentLength: length,
        }),
        options,
      );
      if (!out.ETag) throw new Error(`UploadPart ${number} of ${key} returned no ETag`);
      parts.push({ PartNumber: number, ETag: out.ETag });
      uploaded += length;
      p.onProgress?.(uploaded);
    } catch (err) {
      failure ??= { error: err };
    } finally {
      free.push(buffer);
    }
  };

  const send = async (buffer: Buffer, length: number): Promise<void> => {
    if (++partNumber > MAX_PARTS) {
      throw new UploadTooLargeError(
        `${key} needs more than ${MAX_PARTS} parts of ${p.partSize} bytes: raise the part size`,
      );
    }
    uploadId ??= await createUpload();
    const task: Promise<void> = uploadPart(buffer, length, partNumber).finally(() => inFlight.delete(task));
    inFlight.add(task);
  };

  const createUpload = async (): Promise<string> => {
    const out = await client.send(
      new CreateMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        ...(tagging ? { Tagging: tagging } : {}),
      }),
      options,
    );
    if (!out.UploadId) throw new Error(`CreateMultipartUpload of ${key} returned no UploadId`);
    return out.UploadId;
  };

  try {
    for await (const piece of body) {
      let at = 0;
      while (at < piece.length) {
        check();
        current ??= await take();
        const n = Math.min(piece.length - at, p.partSize - fill);
        current.set(at === 0 && n === piece.length ? piece : piece.subarray(at, at + n), fill);
        fill += n;
        at += n;
        total += n;
        if (fill === p.partSize) {
          await send(current, fill);
          current = undefined;
          fill = 0;
        }
      }
    }
    check();
    if (uploadId === undefined) {
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: current ? current.subarray(0, fill) : Buffer.alloc(0),
          ContentLength: fill,
          ...(tagging ? { Tagging: tagging } : {}),
        }),
        options,
      );
      p.onProgress?.(total);
      return total;
    }
    if (current && fill > 0) await send(current, fill);
    current = undefined;
    await Promise.all(inFlight);
    check();
    parts.sort((a, b) => (a.PartNumber as number) - (b.PartNumber as number));
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      }),
      options,
    );
  } catch (err) {
    const error = failure?.error ?? err;
    failure ??= { error };
    await Promise.all(inFlight);
    if (uploadId !== undefined) {
      // Best effort: the janitor's sweep of stale multipart uploads catches what this misses.
      await client
        .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))
        .catch(() => undefined);
    }
    throw error;
  }
  // AWS applies (and IAM checks) the tags given at initiation; Ceph RGW ignores them there.
  if (p.tags && tagging) {
    await client.send(
      new PutObjectTaggingCommand({
        Bucket: bucket,
        Key: key,
        Tagging: { TagSet: Object.entries(p.tags).map(([Key, Value]) => ({ Key, Value })) },
      }),
      options,
    );
  }
  return total;
}
