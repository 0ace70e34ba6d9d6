import { createCipheriv, randomInt } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { join } from 'node:path';
import { seededRandom } from '@s3cache/testkit';

/** Deterministic pseudo-random numbers, so every run builds the same trees. */
export const prng = seededRandom;

/** Incompressible bytes, as a compiler cache's (already compressed) objects are. */
export function noise(size: number, seed: number): Buffer {
  const key = Buffer.alloc(16);
  key.writeUInt32LE(seed >>> 0);
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
}

const WORDS =
  'export const function return import from await async value module require default this class new if else for while'.split(
    ' ',
  );

/** Compressible source-like text, as a package store holds. */
export function text(size: number, random: () => number): Buffer {
  const parts: string[] = [];
  let length = 0;
  while (length < size) {
    const line = `${Array.from({ length: 3 + Math.floor(random() * 8) }, () => WORDS[Math.floor(random() * WORDS.length)]).join(' ')} ${Math.floor(random() * 1e6)};\n`;
    parts.push(line);
    length += line.length;
  }
  return Buffer.from(parts.join('').slice(0, size));
}

/** Log-normal-ish file sizes around `median` bytes. */
function size(random: () => number, median: number): number {
  const gaussian = Math.sqrt(-2 * Math.log(random() || 1e-9)) * Math.cos(2 * Math.PI * random());
  return Math.max(64, Math.round(median * Math.exp(gaussian * 0.9)));
}

export interface TreeChange {
  /** Files written (changed or added), relative to the tree. */
  written: string[];
  removed: string[];
}

/** A ccache-like tree: `files` compressed objects in 2-level hash directories plus stats files. */
export async function makeCompilerCache(root: string, files: number, seed = 1): Promise<string[]> {
  const random = prng(seed);
  const names: string[] = [];
  for (let i = 0; i < files; i++) {
    const hash = Math.floor(random() * 2 ** 32)
      .toString(16)
      .padStart(8, '0');
    const name = `${hash[0]}/${hash[1]}/${hash.slice(2)}${i}-R.o`;
    await fs.mkdir(join(root, hash[0] ?? '0', hash[1] ?? '0'), { recursive: true });
    await fs.writeFile(join(root, name), noise(size(random, 24 * 1024), seed * 1_000_003 + i));
    names.push(name);
  }
  for (let d = 0; d < 16; d++) {
    await fs.mkdir(join(root, d.toString(16)), { recursive: true });
    await fs.writeFile(join(root, d.toString(16), 'stats'), text(300, random));
  }
  return names.sort();
}

/** A rebuild: rewrites `fraction` of the objects and adds a few, as a compiler cache sees. */
export async function changeCompilerCache(
  root: string,
  names: string[],
  fraction: number,
  seed = 2,
): Promise<TreeChange> {
  const random = prng(seed);
  const written: string[] = [];
  for (const name of names) {
    if (random() >= fraction) continue;
    await fs.writeFile(join(root, name), noise(size(random, 24 * 1024), randomInt(2 ** 31)));
    written.push(name);
  }
  for (let i = 0; i < Math.ceil(names.length * fraction * 0.3); i++) {
    const name = `${Math.floor(random() * 16).toString(16)}/${Math.floor(random() * 16).toString(16)}/new-${seed}-${i}-R.o`;
    await fs.mkdir(join(root, name, '..'), { recursive: true });
    await fs.writeFile(join(root, name), noise(size(random, 24 * 1024), randomInt(2 ** 31)));
    written.push(name);
  }
  return { written, removed: [] };
}

/** A pnpm-store-like tree: packages of source files. */
export async function makePackageStore(root: string, packages: number, seed = 3): Promise<string[]> {
  const random = prng(seed);
  const pkgs: string[] = [];
  for (let p = 0; p < packages; p++) {
    const pkg = `pkg-${p.toString().padStart(4, '0')}@${1 + Math.floor(random() * 9)}.0.0`;
    await writePackage(root, pkg, random);
    pkgs.push(pkg);
  }
  return pkgs;
}

async function writePackage(root: string, pkg: string, random: () => number): Promise<string[]> {
  const written: string[] = [];
  const files = 5 + Math.floor(random() * 30);
  for (let f = 0; f < files; f++) {
    const dir = join(root, pkg, f % 3 === 0 ? 'lib' : 'dist');
    await fs.mkdir(dir, { recursive: true });
    const name = join(pkg, f % 3 === 0 ? 'lib' : 'dist', `file${f}.js`);
    await fs.writeFile(join(root, name), text(size(random, 4 * 1024), random));
    written.push(name);
  }
  return written;
}

/** A dependency update: some packages removed, others added. */
export async function changePackageStore(
  root: string,
  pkgs: string[],
  fraction: number,
  seed = 4,
): Promise<TreeChange> {
  const random = prng(seed);
  const removed: string[] = [];
  const written: string[] = [];
  for (const pkg of pkgs) {
    if (random() < fraction / 2) {
      await fs.rm(join(root, pkg), { recursive: true });
      removed.push(pkg);
    }
  }
  for (let i = 0; i < Math.ceil((pkgs.length * fraction) / 2); i++) {
    written.push(
      ...(await writePackage(root, `pkg-${Math.floor(random() * 9999)}@new.${seed}.${i}`, random)),
    );
  }
  return { written, removed };
}
