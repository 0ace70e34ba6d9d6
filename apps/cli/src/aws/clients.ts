import type { S3Client } from '@aws-sdk/client-s3';
import { S3ControlClient } from '@aws-sdk/client-s3-control';
import { STSClient } from '@aws-sdk/client-sts';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { createS3Client } from '@s3cache/core';

/** Where and as whom to talk to AWS (or an S3-compatible endpoint), from flags and environment. */
export interface AwsSettings {
  region: string | undefined;
  /** An S3-compatible endpoint (Ceph RGW, MinIO, ...); undefined for AWS itself. */
  endpoint: string | undefined;
  /** A named profile of the shared AWS config files. */
  profile: string | undefined;
}

/**
 * The one place AWS SDK clients are made. Commands receive it through `CliIo`, so tests inject
 * clients pointed at a local S3 (or fakes) without touching the environment.
 */
export interface AwsClientFactory {
  s3(settings: AwsSettings): S3Client;
  s3Control(settings: AwsSettings): S3ControlClient;
  sts(settings: AwsSettings): STSClient;
  /** Closes the sockets of every client this factory made. */
  destroy(): void;
}

/** S3 Control and STS are regional services; us-east-1 answers for every account. */
const FALLBACK_REGION = 'us-east-1';

export function createAwsClientFactory(): AwsClientFactory {
  const made: { destroy(): void }[] = [];
  const track = <T extends { destroy(): void }>(client: T): T => {
    made.push(client);
    return client;
  };
  return {
    s3(settings) {
      // core's factory carries the transfer tuning and the checksum settings RGW needs; a profile
      // is passed as a credential provider because that factory takes no profile option.
      return track(
        createS3Client({
          region: settings.region,
          endpoint: settings.endpoint,
          ...(settings.profile ? { credentials: defaultProvider({ profile: settings.profile }) } : {}),
        }),
      );
    },
    s3Control(settings) {
      return track(
        new S3ControlClient({
          region: settings.region ?? FALLBACK_REGION,
          ...(settings.profile ? { profile: settings.profile } : {}),
        }),
      );
    },
    sts(settings) {
      return track(
        new STSClient({
          region: settings.region ?? FALLBACK_REGION,
          ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
          ...(settings.profile ? { profile: settings.profile } : {}),
        }),
      );
    },
    destroy() {
      for (const client of made.splice(0)) client.destroy();
    },
  };
}
