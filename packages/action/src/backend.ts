import type { S3Client } from '@aws-sdk/client-s3';
import {
  type CacheContext,
  collect,
  createS3Client,
  defaultCodec,
  type EntryRef,
  Layout,
  type Logger,
  type RestoreOptions,
  type RestoreResult,
  restoreCache,
  S3Store,
  type SaveOptions,
  type SaveResult,
  StoreError,
  saveCache,
  type WorkerScript,
} from '@s3cache/core';
import { WebIdentityCredentials } from './credentials.js';
import type { S3Settings } from './inputs.js';

export interface ConnectOptions {
  settings: S3Settings;
  log: Logger;
  /** The job's OIDC token for an audience (core.getIDToken). */
  getIDToken: (audience: string) => Promise<string>;
  audience: string;
  sessionName: string;
  /** The bundled archiving worker (dist/worker.mjs), when it is there. */
  worker?: WorkerScript | undefined;
}

export interface ClearResult {
  /** Whether the entry's manifest existed. */
  existed: boolean;
  /** Objects of the entry deleted (manifest, packs, later generations). */
  deleted: number;
}

/**
 * The cache as this step sees it: owns the S3 client (and, with role-to-assume, the STS
 * credentials) for one step, and runs the engine against them. `close()` releases sockets so the
 * step's process can exit.
 */
export class CacheBackend {
  private constructor(
    private readonly client: S3Client,
    private readonly credentials: WebIdentityCredentials | undefined,
    readonly context: Required<Pick<CacheContext, 'store' | 'layout' | 'codec' | 'log'>> &
      Pick<CacheContext, 'worker'>,
    readonly settings: S3Settings,
  ) {}

  /**
   * With role-to-assume, the role is assumed here, before any S3 call, so that a missing
   * `id-token: write` permission or a refused trust policy is reported as such.
   */
  static async connect(options: ConnectOptions): Promise<CacheBackend> {
    const { settings } = options;
    const credentials = settings.roleToAssume
      ? new WebIdentityCredentials({
          roleArn: settings.roleToAssume,
          getToken: () => options.getIDToken(options.audience),
          sessionName: options.sessionName,
          ...(settings.region ? { region: settings.region } : {}),
          ...(settings.stsEndpoint ? { endpoint: settings.stsEndpoint } : {}),
        })
      : undefined;
    try {
      if (credentials) await credentials.provider();
      const codec = defaultCodec();
      const client = createS3Client({
        region: settings.region,
        endpoint: settings.endpoint,
        ...(credentials ? { credentials: credentials.provider } : {}),
      });
      const store = new S3Store(client, { bucket: settings.bucket });
      const layout = new Layout(settings.prefix);
      const context = { store, layout, codec, log: options.log, worker: options.worker };
      return new CacheBackend(client, credentials, context, settings);
    } catch (err) {
      credentials?.close();
      throw err;
    }
  }

  /** e.g. `s3://bucket/prefix (endpoint http://..., role arn:...)`. */
  describe(): string {
    const s = this.settings;
    const details = [
      s.region ? `region ${s.region}` : undefined,
      s.endpoint ? `endpoint ${s.endpoint}` : undefined,
      s.roleToAssume ? `role ${s.roleToAssume}` : 'default AWS credentials',
      `zstd ${this.context.codec.name}`,
    ].filter((d) => d !== undefined);
    return `s3://${s.bucket}${s.prefix ? `/${s.prefix}` : ''} (${details.join(', ')})`;
  }

  restore(options: RestoreOptions): Promise<RestoreResult> {
    return restoreCache(this.context, options);
  }

  save(options: SaveOptions): Promise<SaveResult> {
    return saveCache(this.context, options);
  }

  /**
   * Deletes one entry: its manifest first (readers stop seeing it at once), then everything
   * under the entry directory (packs, later generations), then its access marker. `deleted`
   * counts the entry's own objects.
   * Throws a StoreError (code AccessDenied when the role may not delete).
   */
  async clearEntry(ref: EntryRef): Promise<ClearResult> {
    const { store, layout } = this.context;
    const entryDir = layout.entryDir(ref);
    const manifestKey = layout.manifestKey(entryDir);
    const existed = (await store.head(manifestKey)) !== undefined;
    const remove = async (keys: string[]): Promise<void> => {
      if (keys.length === 0) return;
      const result = await store.deleteObjects(keys.map((key) => ({ key })));
      const failure = result.failed[0];
      if (failure) {
        const code = /^(\w+)/.exec(failure.reason)?.[1];
        throw new StoreError(`DeleteObjects ${failure.key} failed: ${failure.reason}`, code);
      }
    };
    if (existed) await remove([manifestKey]);
    const rest = (await collect(store.list(entryDir))).map((o) => o.key);
    await remove(rest);
    if (existed || rest.length > 0) await remove([layout.markerKeyForEntryDir(entryDir)]);
    return { existed, deleted: (existed ? 1 : 0) + rest.length };
  }

  close(): void {
    this.client.destroy();
    this.credentials?.close();
  }
}
