// Copies a large CSV through the running service while pausing and resuming it
// many times from the outside, as a script would, and checks after every pause
// that the partial file is an exact prefix ending on a whole record, and at the
// end that the copy equals the source byte for byte.
//
//   node dist/bench/pause-resume-soak.js [--bytes 1100000000] [--pauses 40] [--run-ms 40]
//
// Between a resume and the next pause the copy runs for a random time up to
// --run-ms, so the pauses land all through the file.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    bytes: { type: 'string', default: '1100000000' },
    pauses: { type: 'string', default: '40' },
    'run-ms': { type: 'string', default: '40' },
  },
});
const MAIN = new URL('../src/main.js', import.meta.url).pathname;

interface TransferJson {
  state: string;
  bytesDone: number;
  bytesTotal: number;
  records: number;
}

async function main() {
  const root = await mkdtemp(join(tmpdir(), 'csv-soak-'));
  const service = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      PORT: '0',
      SOURCE_DIR: join(root, 'source'),
      UPLOADS_DIR: join(root, 'Uploads'),
      DOWNLOADS_DIR: join(root, 'Downloads'),
      SAMPLE_BYTES: values.bytes,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const url = await serviceUrl(service.stdout);
    await soak(url, root, Number(values.pauses));
  } finally {
    service.kill('SIGTERM');
    await rm(root, { recursive: true, force: true });
  }
}

async function soak(url: string, root: string, pauses: number) {
  const source = join(root, 'source', 'dummy1.csv');
  const part = join(root, 'Uploads', 'dummy1.csv.part');
  const async = { Prefer: 'respond-async', Accept: 'application/json' };
  await post(`${url}/upload`, async);
  for (let pause = 1; pause <= pauses; pause += 1) {
    const reply = await post(`${url}/pause`, { Accept: 'application/json' });
    const transfer = (reply.body as { transfer: TransferJson | null }).transfer;
    if (transfer?.state !== 'paused') {
      console.log(`pause ${pause}: nothing left to pause, the copy had finished`);
      break;
    }
    await checkPrefix(source, part, transfer);
    const percent = ((100 * transfer.bytesDone) / transfer.bytesTotal).toFixed(1);
    console.log(
      `pause ${pause}: ${transfer.bytesDone} bytes (${percent}%), whole prefix`,
    );
    await post(`${url}/resume`, async);
    await delay(Math.random() * Number(values['run-ms']));
  }
  // Waits for the copy if it is still running or paused; 409 if it had finished.
  const done = await post(`${url}/resume`, { Accept: 'application/json' });
  console.log(
    `final reply: ${done.status} ${(done.body as { message: string }).message}`,
  );
  const [a, b] = await Promise.all([
    sha256(source),
    sha256(join(root, 'Uploads', 'dummy1.csv')),
  ]);
  console.log(`source ${a}\ncopy   ${b}\n${a === b ? 'IDENTICAL' : 'DIFFERENT'}`);
  if (a !== b) process.exitCode = 1;
}

// The partial file must hold exactly the cursor's bytes, end with a line ending,
// and match the source there; the record-level proof is in the test suite.
async function checkPrefix(source: string, part: string, transfer: TransferJson) {
  const { size } = await stat(part);
  if (size !== transfer.bytesDone) {
    throw new Error(
      `the part holds ${size} bytes, the cursor says ${transfer.bytesDone}`,
    );
  }
  const tail = Buffer.alloc(Math.min(size, 1 << 16));
  const [a, b] = [await open(source), await open(part)];
  const tailOfSource = Buffer.alloc(tail.length);
  await a.read(tailOfSource, 0, tail.length, size - tail.length);
  await b.read(tail, 0, tail.length, size - tail.length);
  await Promise.all([a.close(), b.close()]);
  if (!tail.equals(tailOfSource))
    throw new Error('the partial file differs from the source');
  if (size > 0 && tail[tail.length - 1] !== 0x0a) throw new Error('not on a line ending');
}

async function post(url: string, headers: Record<string, string>) {
  const response = await fetch(url, { method: 'POST', headers });
  return { status: response.status, body: (await response.json()) as unknown };
}

function sha256(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}

function serviceUrl(stdout: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    let url = '';
    createInterface({ input: stdout }).on('line', (line) => {
      const entry = JSON.parse(line) as { msg: string; url?: string };
      if (entry.url) url = entry.url;
      if (entry.msg === 'generated a sample CSV to transfer') resolve(url);
    });
  });
}

await main();
