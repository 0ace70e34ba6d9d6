import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { AlreadyExistsError, ObjectMissingError } from '../errors.js';
import type {
  DeleteRequest,
  DeleteResult,
  MultipartUploadInfo,
  ObjectInfo,
  PutOptions,
  Store,
  UploadOptions,
} from './store.js';

/** File names are limited to 255 bytes; longer key segments are split, pieces marked with `+`. */
const MAX_NAME = 200;
const TMP_DIR = '.tmp';

function isCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

/**
 * A store in a local directory: the CLI's embedded default, and a fast option for self-hosted
 * runners with a persistent disk. Writes go to a temporary file renamed into place, so a reader
 * never sees a partial object; first-write-wins uses link(2), which fails if the name exists.
 */
export class DirStore implements Store {
  readonly supportsConditionalDelete = false;
  readonly location: string;

  constructor(root: string) {
    this.location = path.resolve(root);
  }

  private toPath(key: string): string {
    if (key.split('/').some((s) => s === '' || s === '.' || s === '..' || s.includes('+') || s === TMP_DIR)) {
      throw new RangeError(`object key not storable in a directory: ${key}`);
    }
    const parts: string[] = [];
    for (const segment of key.split('/')) {
      let rest = segment;
      while (Buffer.byteLength(rest) > MAX_NAME) {
        parts.push(`${rest.slice(0, MAX_NAME)}+`);
        rest = rest.slice(MAX_NAME);
      }
      parts.push(rest);
    }
    return path.join(this.location, ...parts);
  }

  private toKey(file: string): string {
    const rel = path.relative(this.location, file).split(path.sep);
    let key = '';
    for (const part of rel) key += part.endsWith('+') ? part.slice(0, -1) : `${part}/`;
    return key.slice(0, -1);
  }

  private async tempFile(): Promise<string> {
    const dir = path.join(this.location, TMP_DIR);
    await fs.mkdir(dir, { recursive: true });
    return path.join(dir, `${Date.now()}-${randomBytes(6).toString('hex')}`);
  }

  private async commit(tmp: string, target: string, ifNoneMatch: boolean, key: string): Promise<void> {
    await fs.mkdir(path.dirname(target), { recursive: true });
    try {
      if (ifNoneMatch) {
        await fs.link(tmp, target);
        await fs.unlink(tmp);
      } else {
        await fs.rename(tmp, target);
      }
    } catch (err) {
      await fs.rm(tmp, { force: true });
      if (isCode(err, 'EEXIST')) throw new AlreadyExistsError(key, { cause: err });
      throw err;
    }
  }

  async putObject(key: string, body: Buffer, options: PutOptions = {}): Promise<void> {
    const target = this.toPath(key);
    const tmp = await this.tempFile();
    await fs.writeFile(tmp, body);
    await this.commit(tmp, target, options.ifNoneMatch ?? false, key);
  }

  async upload(
    key: string,
    body: AsyncIterable<Uint8Array>,
    options: UploadOptions = {},
  ): Promise<{ size: number }> {
    const target = this.toPath(key);
    const tmp = await this.tempFile();
    let size = 0;
    try {
      // Each piece is written before the next is asked for (see Store.upload): a write stream
      // would still hold earlier pieces while taking more.
      const handle = await fs.open(tmp, 'w');
      try {
        for await (const piece of body) {
          options.signal?.throwIfAborted();
          for (let at = 0; at < piece.length; ) {
            at += (await handle.write(piece, at, piece.length - at)).bytesWritten;
          }
          size += piece.length;
          options.onProgress?.(size);
        }
      } finally {
        await handle.close();
      }
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
    await this.commit(tmp, target, false, key);
    return { size };
  }

  async getObject(key: string): Promise<Buffer> {
    try {
      return await fs.readFile(this.toPath(key));
    } catch (err) {
      if (isCode(err, 'ENOENT')) throw new ObjectMissingError(key, { cause: err });
      throw err;
    }
  }

  async getRange(key: string, start: number, end: number): Promise<Buffer> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.toPath(key), 'r');
    } catch (err) {
      if (isCode(err, 'ENOENT')) throw new ObjectMissingError(key, { cause: err });
      throw err;
    }
    try {
      const out = Buffer.allocUnsafe(end - start);
      let read = 0;
      while (read < out.length) {
        const { bytesRead } = await handle.read(out, read, out.length - read, start + read);
        if (bytesRead === 0) break;
        read += bytesRead;
      }
      return out.subarray(0, read);
    } finally {
      await handle.close();
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const stat = await fs.stat(this.toPath(key));
      return stat.isFile()
        ? { key, size: stat.size, lastModified: stat.mtime, etag: etagOf(stat) }
        : undefined;
    } catch (err) {
      if (isCode(err, 'ENOENT') || isCode(err, 'ENOTDIR')) return undefined;
      throw err;
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const slash = prefix.lastIndexOf('/');
    const dir = slash < 0 ? this.location : this.toPath(prefix.slice(0, slash));
    const found: ObjectInfo[] = [];
    const walk = async (current: string): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await fs.readdir(current, { withFileTypes: true });
      } catch (err) {
        if (isCode(err, 'ENOENT') || isCode(err, 'ENOTDIR')) return;
        throw err;
      }
      for (const entry of entries) {
        const full = path.join(current, entry.name);
        if (current === this.location && entry.name === TMP_DIR) continue;
        if (entry.isDirectory()) await walk(full);
        else if (entry.isFile()) {
          const key = this.toKey(full);
          if (!key.startsWith(prefix)) continue;
          const stat = await fs.stat(full).catch(() => undefined);
          if (stat) found.push({ key, size: stat.size, lastModified: stat.mtime, etag: etagOf(stat) });
        }
      }
    };
    await walk(dir);
    found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    yield* found;
  }

  async deleteObjects(requests: DeleteRequest[]): Promise<DeleteResult> {
    const result: DeleteResult = { deleted: [], failed: [] };
    for (const { key } of requests) {
      const file = this.toPath(key);
      try {
        await fs.rm(file, { force: true });
        result.deleted.push(key);
        await this.pruneEmptyDirs(path.dirname(file));
      } catch (err) {
        result.failed.push({ key, reason: err instanceof Error ? err.message : String(err) });
      }
    }
    return result;
  }

  private async pruneEmptyDirs(dir: string): Promise<void> {
    let current = dir;
    while (current.startsWith(this.location) && current !== this.location) {
      try {
        await fs.rmdir(current);
      } catch {
        return; // not empty (or already gone): stop climbing
      }
      current = path.dirname(current);
    }
  }

  async *listMultipartUploads(): AsyncIterable<MultipartUploadInfo> {
    // Unfinished uploads are temporary files; they are never visible as objects.
  }

  async abortMultipartUpload(): Promise<void> {}
}

function etagOf(stat: { size: number; mtimeMs: number }): string {
  return `"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
}
