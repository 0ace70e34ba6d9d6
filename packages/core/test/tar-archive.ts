import * as tar from 'tar-stream';

/** One archive member for tar-stream; `mtime` defaults to a fixed date. */
export type Member = { header: Parameters<tar.Pack['entry']>[0]; body?: string | Buffer };

/**
 * Builds an archive member by member with tar-stream, an implementation independent of ours:
 * how a well-formed or a hostile archive made elsewhere would look.
 */
export async function archive(members: readonly Member[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const collecting = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer);
  })();
  for (const { header, body } of members) {
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null) => (err ? reject(err) : resolve());
      const h = { mtime: new Date(1_600_000_000_000), ...header };
      if (body === undefined) pack.entry(h, done);
      else pack.entry(h, body, done);
    });
  }
  pack.finalize();
  await collecting;
  return Buffer.concat(chunks);
}
