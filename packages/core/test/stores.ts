import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { createTestBucket, s3TestConfig, s3TestsSkipped, testS3ClientConfig } from '@s3cache/testkit';
import { DirStore } from '../src/store/dir-store.js';
import { createS3Client, type S3ClientOptions, S3Store } from '../src/store/s3-store.js';
import type { Store } from '../src/store/store.js';

export interface StoreFixture {
  store: Store;
  cleanup(): Promise<void>;
}

export interface StoreKind {
  name: string;
  skip: boolean;
  create(): Promise<StoreFixture>;
}

/** The two store implementations every contract and round-trip suite runs against. */
export const storeKinds: StoreKind[] = [
  {
    name: 'directory store',
    skip: false,
    async create() {
      const root = await mkdtemp(join(tmpdir(), 's3cache-store-'));
      return { store: new DirStore(root), cleanup: () => rm(root, { recursive: true, force: true }) };
    },
  },
  {
    name: 'S3 store',
    skip: s3TestsSkipped(),
    async create() {
      const client = new S3Client(testS3ClientConfig());
      const bucket = await createTestBucket({ client });
      return {
        store: new S3Store(client, { bucket: bucket.name }),
        async cleanup() {
          await bucket.cleanup();
          client.destroy();
        },
      };
    },
  },
];

/**
 * A client as the engine makes it (createS3Client: unsigned parts, timeouts, retries) for the
 * test endpoint; `options` override it (another endpoint, such as a fault proxy, or knobs).
 */
export function engineTestClient(options: S3ClientOptions = {}): S3Client {
  const config = s3TestConfig();
  return createS3Client({
    endpoint: config.endpoint,
    region: config.region,
    credentials: testS3ClientConfig(config).credentials as { accessKeyId: string; secretAccessKey: string },
    ...options,
  });
}
