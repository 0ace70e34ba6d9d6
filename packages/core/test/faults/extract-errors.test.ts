// Extraction failures mid-member keep their real cause: the source's own typed error (an
// integrity failure of a later chunk) or "truncated archive", never a bare "Stream was destroyed".
import * as fs from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IntegrityError } from '../../src/errors.js';
import { ArchiveExtractError, extractTar } from '../../src/tar/extract.js';
import { archive } from '../tar-archive.js';
import { tempDir } from './support.js';

function oneFile(size: number): Promise<Buffer> {
  return archive([{ header: { name: 'cache/big', mtime: new Date(0) }, body: Buffer.alloc(size, 0x43) }]);
}

describe('extractTar: failures in the middle of a member', () => {
  let workspace: string;
  beforeEach(async () => {
    workspace = await tempDir('extract-errors');
  });
  afterEach(async () => {
    await fs.rm(workspace, { recursive: true, force: true });
  });

  it('passes the source’s typed error through when it fails inside a file body', async () => {
    const archive = await oneFile(200_000);
    const failure = new IntegrityError('chunk 5 of pack p fails verification');
    let sent = false;
    const source = new Readable({
      read() {
        if (!sent) {
          sent = true;
          this.push(archive.subarray(0, 512 + 50_000));
        } else this.destroy(failure);
      },
    });
    await expect(extractTar(source, { workspace, roots: ['cache'] })).rejects.toBe(failure);
    expect(await fs.readdir(join(workspace, 'cache'))).toEqual([]);
  });

  it('says "truncated archive" when the stream ends inside a file body', async () => {
    const archive = await oneFile(50_000);
    const source = Readable.from([archive.subarray(0, 512 + 10_000)]);
    const error = await extractTar(source, { workspace, roots: ['cache'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArchiveExtractError);
    expect((error as Error).message).toMatch(/truncated archive/);
    expect(await fs.readdir(join(workspace, 'cache'))).toEqual([]);
  });
});
