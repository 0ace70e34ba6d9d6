import { randomBytes } from 'node:crypto';
import { GetObjectTaggingCommand, ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3';
import { s3TestsSkipped, withTestBucket } from '@s3cache/testkit';
import { describe, expect, it } from 'vitest';
import { engineTestClient } from '../../test/stores.js';
import { MIN_PART_BYTES, uploadStream } from './multipart-upload.js';
import { S3Store } from './s3-store.js';

const MiB = 1024 * 1024;

/** Our client (unsigned parts and all), recording each command and how many parts were in flight. */
function recordingClient(): { client: S3Client; commands: string[]; maxPartsInFlight: () => number } {
  const client = engineTestClient();
  const commands: string[] = [];
  let inFlight = 0;
  let max = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? '';
      commands.push(name);
      const part = name === 'UploadPartCommand';
      if (part) max = Math.max(max, ++inFlight);
      try {
        return await next(args);
      } finally {
        if (part) inFlight--;
      }
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  return { client, commands, maxPartsInFlight: () => max };
}

/** `data` cut into pieces of uneven sizes, as the pack writer hands them over. */
function* pieces(data: Buffer): Generator<Buffer> {
  const sizes = [9, 3, 131072, 1, 700_001, 4 * MiB + 3];
  for (let at = 0, i = 0; at < data.length; i++) {
    const size = sizes[i % sizes.length] as number;
    yield data.subarray(at, at + size);
    at += size;
  }
}

async function* from(iterable: Iterable<Buffer>): AsyncGenerator<Buffer> {
  yield* iterable;
}

async function pendingUploads(client: S3Client, bucket: string): Promise<number> {
  const out = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return out.Uploads?.length ?? 0;
}

describe.skipIf(s3TestsSkipped())('uploadStream', () => {
  it('uploads parts from reused buffers, a bounded number at once, and tags the whole object', async () => {
    await withTestBucket(async (bucket) => {
      const { client, commands, maxPartsInFlight } = recordingClient();
      const data = randomBytes(6 * MIN_PART_BYTES + 12_345);
      const size = await uploadStream(from(pieces(data)), {
        client,
        bucket: bucket.name,
        key: 'a/pack',
        tags: { type: 'base' },
        partSize: MIN_PART_BYTES,
        queueSize: 2,
      });
      expect(size).toBe(data.length);
      const store = new S3Store(client, { bucket: bucket.name });
      expect((await store.getObject('a/pack')).equals(data)).toBe(true);
      expect(commands.filter((c) => c === 'UploadPartCommand')).toHaveLength(7);
      // queueSize parts in flight, and at most one more while the next buffer is being handed over.
      expect(maxPartsInFlight()).toBeLessThanOrEqual(3);
      const tags = await client.send(new GetObjectTaggingCommand({ Bucket: bucket.name, Key: 'a/pack' }));
      expect(tags.TagSet).toEqual([{ Key: 'type', Value: 'base' }]);
      expect(await pendingUploads(client, bucket.name)).toBe(0);
      client.destroy();
    });
  }, 120_000);

  it('ends on a part boundary without an empty last part', async () => {
    await withTestBucket(async (bucket) => {
      const { client, commands } = recordingClient();
      const data = randomBytes(2 * MIN_PART_BYTES);
      await uploadStream(from(pieces(data)), {
        client,
        bucket: bucket.name,
        key: 'b/pack',
        partSize: MIN_PART_BYTES,
        queueSize: 4,
      });
      expect(commands.filter((c) => c === 'UploadPartCommand')).toHaveLength(2);
      expect((await new S3Store(client, { bucket: bucket.name }).getObject('b/pack')).equals(data)).toBe(
        true,
      );
      client.destroy();
    });
  }, 60_000);

  it('sends what fits in one part, or nothing at all, as a single tagged PUT', async () => {
    await withTestBucket(async (bucket) => {
      const { client, commands } = recordingClient();
      const small = randomBytes(MiB + 5);
      for (const [key, data] of [
        ['c/small', small],
        ['c/empty', Buffer.alloc(0)],
      ] as const) {
        const size = await uploadStream(from(pieces(data)), {
          client,
          bucket: bucket.name,
          key,
          tags: { type: 'delta-archive' },
          partSize: MIN_PART_BYTES,
          queueSize: 4,
        });
        expect(size).toBe(data.length);
        expect((await new S3Store(client, { bucket: bucket.name }).getObject(key)).equals(data)).toBe(true);
        const tags = await client.send(new GetObjectTaggingCommand({ Bucket: bucket.name, Key: key }));
        expect(tags.TagSet).toEqual([{ Key: 'type', Value: 'delta-archive' }]);
      }
      expect(commands.filter((c) => c !== 'GetObjectCommand' && c !== 'GetObjectTaggingCommand')).toEqual([
        'PutObjectCommand',
        'PutObjectCommand',
      ]);
      client.destroy();
    });
  }, 60_000);

  it('leaves neither an object nor an open upload when the body fails mid-way', async () => {
    await withTestBucket(async (bucket) => {
      const { client, commands } = recordingClient();
      async function* failing(): AsyncGenerator<Buffer> {
        yield randomBytes(3 * MIN_PART_BYTES);
        throw new Error('tar read failed');
      }
      await expect(
        uploadStream(failing(), {
          client,
          bucket: bucket.name,
          key: 'd/pack',
          partSize: MIN_PART_BYTES,
          queueSize: 2,
        }),
      ).rejects.toThrow('tar read failed');
      expect(commands).toContain('AbortMultipartUploadCommand');
      expect(commands).not.toContain('CompleteMultipartUploadCommand');
      expect(await new S3Store(client, { bucket: bucket.name }).head('d/pack')).toBeUndefined();
      expect(await pendingUploads(client, bucket.name)).toBe(0);
      client.destroy();
    });
  }, 60_000);

  it('stops and aborts the upload when its signal fires', async () => {
    await withTestBucket(async (bucket) => {
      const { client } = recordingClient();
      const controller = new AbortController();
      async function* slow(): AsyncGenerator<Buffer> {
        yield randomBytes(2 * MIN_PART_BYTES);
        controller.abort(new Error('job cancelled'));
        yield randomBytes(MIN_PART_BYTES);
      }
      await expect(
        uploadStream(slow(), {
          client,
          bucket: bucket.name,
          key: 'e/pack',
          partSize: MIN_PART_BYTES,
          queueSize: 2,
          signal: controller.signal,
        }),
      ).rejects.toThrow('job cancelled');
      expect(await new S3Store(client, { bucket: bucket.name }).head('e/pack')).toBeUndefined();
      expect(await pendingUploads(client, bucket.name)).toBe(0);
      client.destroy();
    });
  }, 60_000);

  it('refuses parts smaller than S3 accepts', async () => {
    const { client } = recordingClient();
    await expect(
      uploadStream(from([]), { client, bucket: 'unused', key: 'k', partSize: MiB, queueSize: 1 }),
    ).rejects.toBeInstanceOf(RangeError);
    client.destroy();
  });
});
