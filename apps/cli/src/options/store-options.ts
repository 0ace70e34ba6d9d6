import { isAbsolute, join, resolve, win32 } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AwsSettings } from '../aws/clients.js';
import { UsageError } from '../exit-codes.js';
import type { Env } from '../io.js';

export type StoreSpec = { kind: 's3'; bucket: string; prefix: string } | { kind: 'dir'; path: string };

export interface StoreFlags {
  store?: string | undefined;
  endpoint?: string | undefined;
  region?: string | undefined;
  profile?: string | undefined;
}

export interface StoreChoice {
  spec: StoreSpec;
  /** Where the choice came from, for messages ("store: ... (from S3CACHE_STORE)"). */
  source: 'flag' | 'S3CACHE_STORE' | 'default';
  aws: AwsSettings;
}

const BUCKET = /^[A-Za-z0-9][A-Za-z0-9._-]{1,62}$/;

/**
 * `s3://bucket[/prefix]`, `file:///abs/dir`, or a directory path (relative to `cwd`). Other URL
 * schemes are refused rather than taken for a directory called `gs:`.
 */
export function parseStoreSpec(text: string, cwd: string): StoreSpec {
  const value = text.trim();
  if (!value) throw new UsageError('--store is empty: give s3://bucket/prefix or a directory');
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1]?.toLowerCase();
  if (scheme === 's3') {
    const [bucket = '', ...rest] = value.slice('s3://'.length).split('/');
    if (!BUCKET.test(bucket)) throw new UsageError(`invalid bucket name in --store ${value}`);
    return { kind: 's3', bucket, prefix: rest.filter(Boolean).join('/') };
  }
  if (scheme === 'file') {
    try {
      return { kind: 'dir', path: fileURLToPath(value) };
    } catch (err) {
      throw new UsageError(`invalid file URL in --store ${value}: ${(err as Error).message}`, { cause: err });
    }
  }
  if (scheme) throw new UsageError(`unsupported store ${value}: use s3://bucket/prefix or a directory`);
  return { kind: 'dir', path: resolve(cwd, value) };
}

export interface PlatformFacts {
  env: Env;
  platform: NodeJS.Platform;
  homedir: string;
}

/**
 * The embedded store, in the platform's cache directory so OS cleaners know it may be deleted:
 * `$XDG_CACHE_HOME/s3cache/store` or `~/.cache/s3cache/store`; on macOS
 * `~/Library/Caches/s3cache/store`; on Windows `%LOCALAPPDATA%\s3cache\store`.
 */
export function defaultStoreDir({ env, platform, homedir }: PlatformFacts): string {
  if (platform === 'win32') {
    const base = env.LOCALAPPDATA || win32.join(homedir, 'AppData', 'Local');
    return win32.join(base, 's3cache', 'store');
  }
  // The XDG spec says relative values are invalid and must be ignored.
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 's3cache', 'store');
  const base = platform === 'darwin' ? join(homedir, 'Library', 'Caches') : join(homedir, '.cache');
  return join(base, 's3cache', 'store');
}

/** Flags win over the environment; without either, the embedded directory store. */
export function chooseStore(flags: StoreFlags, facts: PlatformFacts & { cwd: string }): StoreChoice {
  const { env } = facts;
  const aws: AwsSettings = {
    endpoint: flags.endpoint ?? (env.S3CACHE_ENDPOINT || undefined),
    region: flags.region ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined),
    profile: flags.profile ?? (env.AWS_PROFILE || undefined),
  };
  if (flags.store !== undefined) return { spec: parseStoreSpec(flags.store, facts.cwd), source: 'flag', aws };
  if (env.S3CACHE_STORE)
    return { spec: parseStoreSpec(env.S3CACHE_STORE, facts.cwd), source: 'S3CACHE_STORE', aws };
  return { spec: { kind: 'dir', path: defaultStoreDir(facts) }, source: 'default', aws };
}

export function describeStore(spec: StoreSpec): string {
  return spec.kind === 's3' ? `s3://${spec.bucket}${spec.prefix ? `/${spec.prefix}` : ''}` : spec.path;
}
