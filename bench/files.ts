// Small checks on the files copies produce, made outside every timing.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rm, stat } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';

const MiB = 1 << 20;

/** Hex SHA-256 of a whole file, read in 1 MiB pieces. */
export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: MiB })) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

/** The file's size, or -1 when it does not exist (yet, or any more). */
export async function sizeOf(path: string): Promise<number> {
  const stats = await stat(path).catch(() => null);
  return stats ? stats.size : -1;
}

/** Removes a file or folder if present; a copy's destination between runs. */
export async function remove(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
}

/** Two sizes `gapMs` apart: equal when nothing is still writing the file. */
export async function sizeTwice(path: string, gapMs: number): Promise<[number, number]> {
  const first = await sizeOf(path);
  await delay(gapMs);
  return [first, await sizeOf(path)];
}

/** The last `count` bytes of a file of `size` bytes. */
export async function tailOf(path: string, size: number, count: number): Promise<Buffer> {
  const length = Math.min(size, count);
  const tail = Buffer.alloc(length);
  const file = await open(path, 'r');
  try {
    await file.read(tail, 0, length, size - length);
  } finally {
    await file.close();
  }
  return tail;
}

/** Whether the first `size` bytes of `copy` end as the source's do, over 64 KiB. */
export async function endsLikeSource(
  source: string,
  copy: string,
  size: number,
): Promise<boolean> {
  const [a, b] = await Promise.all([
    tailOf(source, size, 1 << 16),
    tailOf(copy, size, 1 << 16),
  ]);
  return a.equals(b);
}

/** How many LF bytes lie in the first `limit` bytes: the lines a reader skips. */
export async function countLineEnds(path: string, limit: number): Promise<number> {
  if (limit === 0) return 0;
  let lines = 0;
  const stream = createReadStream(path, { highWaterMark: MiB, end: limit - 1 });
  for await (const chunk of stream) {
    const bytes = chunk as Buffer;
    for (let at = bytes.indexOf(0x0a); at !== -1; at = bytes.indexOf(0x0a, at + 1)) {
      lines += 1;
    }
  }
  return lines;
}

/** The offset just past the first LF at or after `offset`: the next line's start. */
export async function nextLineStart(path: string, offset: number): Promise<number> {
  const buffer = Buffer.alloc(MiB);
  const file = await open(path, 'r');
  try {
    for (let position = offset; ; position += buffer.length) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) return position;
      const lf = buffer.subarray(0, bytesRead).indexOf(0x0a);
      if (lf !== -1) return position + lf + 1;
    }
  } finally {
    await file.close();
  }
}
