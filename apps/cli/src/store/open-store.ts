import type { S3Client } from '@aws-sdk/client-s3';
import { DirStore, Layout, S3Store, type Store } from '@s3cache/core';
import type { AwsClientFactory } from '../aws/clients.js';
import { describeStore, type StoreChoice } from '../options/store-options.js';

export interface OpenedStore {
  choice: StoreChoice;
  store: Store;
  layout: Layout;
  /** `s3://bucket/prefix` or the directory, for messages. */
  location: string;
  /** Set for S3 stores: doctor inspects the bucket itself. */
  s3: { client: S3Client; bucket: string } | undefined;
}

/** Opens the chosen store. Cheap: no request is made until the first operation. */
export function openStore(choice: StoreChoice, aws: AwsClientFactory): OpenedStore {
  const { spec } = choice;
  const location = describeStore(spec);
  if (spec.kind === 'dir') {
    return { choice, store: new DirStore(spec.path), layout: new Layout(), location, s3: undefined };
  }
  const client = aws.s3(choice.aws);
  return {
    choice,
    store: new S3Store(client, { bucket: spec.bucket }),
    layout: new Layout(spec.prefix),
    location,
    s3: { client, bucket: spec.bucket },
  };
}
