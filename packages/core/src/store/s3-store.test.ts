import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { s3TestsSkipped, withTestBucket } from '@s3cache/testkit';
import { describe, expect, it } from 'vitest';
import { engineTestClient } from '../../test/stores.js';
import { S3Store } from './s3-store.js';

const MiB = 1024 * 1024;

describe.skipIf(s3TestsSkipped())('createS3Client', () => {
  it('sends multipart parts with an unsigned payload and everything else signed; the pack lands intact', async () => {
    await withTestBucket(async (bucket) => {
      const client = engineTestClient();
      const seen: { command: string | undefined; payload: string | undefined; signed: boolean }[] = [];
      // The deserialize step runs innermost: it sees each request as signed and sent.
      client.middlewareStack.add(
        (next, context) => (args) => {
          const headers = (args.request as { headers: Record<string, string> }).headers;
          seen.push({
            command: context.commandName,
            payload: headers['x-amz-content-sha256'],
            signed: /^AWS4-HMAC-SHA256 Credential=/.test(headers.authorization ?? ''),
          });
          return next(args);
        },
        { step: 'deserialize', name: 'recordRequests' },
      );
      const store = new S3Store(client, { bucket: bucket.name });
      const data = randomBytes(12 * MiB);
      const { size } = await store.upload('pack', Readable.from([data]), { partSize: 5 * MiB });
      await store.putObject('manifest', Buffer.from('{}'));

      expect(size).toBe(data.length);
      expect((await store.getObject('pack')).equals(data)).toBe(true);
      const parts = seen.filter((r) => r.command === 'UploadPartCommand');
      expect(parts).toHaveLength(3);
      for (const part of parts) expect(part).toMatchObject({ payload: 'UNSIGNED-PAYLOAD', signed: true });
      const manifest = seen.find((r) => r.command === 'PutObjectCommand');
      expect(manifest?.payload).toMatch(/^[0-9a-f]{64}$/);
      expect(seen.every((r) => r.signed)).toBe(true);
    });
  }, 60_000);
});

describe.skipIf(s3TestsSkipped())('S3Store.getRangePieces', () => {
  it('returns a range as the pieces it arrived in, without joining them', async () => {
    await withTestBucket(async (bucket) => {
      const store = new S3Store(engineTestClient(), { bucket: bucket.name });
      const data = randomBytes(3 * MiB);
      await store.putObject('pack', data);
      const pieces = await store.getRangePieces('pack', 1000, 3 * MiB - 7);
      expect(pieces.length).toBeGreaterThan(1); // socket reads, not one joined buffer
      expect(Buffer.concat(pieces).equals(data.subarray(1000, 3 * MiB - 7))).toBe(true);
      expect((await store.getRange('pack', 1000, 3 * MiB - 7)).equals(data.subarray(1000, 3 * MiB - 7))).toBe(
        true,
      );
    });
  }, 60_000);
});
