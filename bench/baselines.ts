// The reference copies the service is compared with, each timed on its own from
// start to the last byte handed to the kernel. None of them understands CSV.
import { fork, spawn } from 'node:child_process';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';

/** `cp src dst`: the kernel's copy_file_range, the ceiling for a copy. */
export async function copyWithCp(source: string, destination: string): Promise<number> {
  const started = performance.now();
  const child = spawn('cp', [source, destination], { stdio: 'inherit' });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`cp ${source} ${destination} exited with ${code}`);
  return performance.now() - started;
}

/** Node's stream.pipeline with 1 MiB reads: the plain streaming copy. */
export async function copyWithPipeline(
  source: string,
  destination: string,
): Promise<number> {
  const started = performance.now();
  await pipeline(
    createReadStream(source, { highWaterMark: 1 << 20 }),
    createWriteStream(destination, { flags: 'wx' }),
  );
  return performance.now() - started;
}

/**
 * A process of its own for the stream.pipeline copies, with glibc told to serve
 * its 1 MiB read buffers from the heap. Served from mmap instead, they start 16
 * bytes past a page boundary, where the kernel copies a read at half speed, and
 * which glibc does depends on what the process allocated and freed before: the
 * same copy measured 0.7 to 1.8 GB/s from run to run, and 580 MB/s against
 * 1.3–2.0 GB/s forced one way or the other. This gives the baseline its best.
 */
// glibc's largest threshold for its own choice: buffers up to 32 MiB from the heap.
const HEAP_UP_TO = 32 * 1024 * 1024;

export class PipelineProcess {
  private constructor(private readonly child: ReturnType<typeof fork>) {}

  static async start(): Promise<PipelineProcess> {
    const child = fork(new URL('./pipeline-child.js', import.meta.url), {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, MALLOC_MMAP_THRESHOLD_: String(HEAP_UP_TO) },
    });
    await once(child, 'spawn');
    return new PipelineProcess(child);
  }

  /** Copies in the child; the time it took there, in milliseconds. */
  async copy(source: string, destination: string): Promise<number> {
    this.child.send({ source, destination });
    const exited = once(this.child, 'exit').then(([code]) => {
      throw new Error(`the pipeline process exited with ${String(code)}`);
    });
    const replied = once(this.child, 'message') as Promise<
      [{ ms?: number; error?: string }]
    >;
    const [reply] = await Promise.race([replied, exited]);
    if (reply.ms === undefined) throw new Error(`pipeline copy failed: ${reply.error}`);
    return reply.ms;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill();
    await exited;
  }
}

/**
 * The original seed's approach: readline over the source and one
 * `write(line + '\n')` per line, pausing the input until 'drain' when the
 * stream asks to. Line events rather than `for await`, which is half as fast.
 * It turns CRLF into LF, so its output is not byte-identical; it is here for speed.
 */
export async function copyWithReadline(
  source: string,
  destination: string,
): Promise<number> {
  const started = performance.now();
  const input = createReadStream(source);
  const out = createWriteStream(destination, { flags: 'wx' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  lines.on('line', (line) => {
    if (!out.write(line + '\n')) input.pause();
  });
  out.on('drain', () => input.resume());
  await once(lines, 'close');
  await closeStream(out);
  return performance.now() - started;
}

/**
 * The naive resume: read lines from the top, skip `skipLines` of them, and write
 * the next one. Returns the time until that first new byte is written.
 */
export async function resumeBySkipping(
  source: string,
  destination: string,
  skipLines: number,
): Promise<number> {
  const started = performance.now();
  const input = createReadStream(source);
  const out = createWriteStream(destination, { flags: 'wx' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  let seen = 0;
  const firstLine = new Promise<string>((resolve, reject) => {
    lines.on('line', (line) => {
      if (seen++ === skipLines) resolve(line);
    });
    lines.once('close', () => reject(new Error(`fewer than ${skipLines + 1} lines`)));
  });
  const line = await firstLine;
  lines.close();
  input.destroy();
  // The write callback fires once the bytes have reached the kernel.
  await new Promise<void>((resolve, reject) =>
    out.write(line + '\n', (error) => (error ? reject(error) : resolve())),
  );
  const firstByteMs = performance.now() - started;
  await closeStream(out);
  return firstByteMs;
}

async function closeStream(out: WriteStream): Promise<void> {
  out.end();
  await once(out, 'close');
}
