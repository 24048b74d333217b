import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import test from 'ava';
import { scanReference } from './helpers/csv-reference.js';
import { call } from './helpers/service.js';

const MAIN = new URL('../src/main.js', import.meta.url).pathname;

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal} pauses the running upload on a whole record and exits cleanly`, async (t) => {
    const root = await mkdtemp(join(tmpdir(), 'csv-shutdown-'));
    const env = {
      ...process.env,
      PORT: '0',
      SOURCE_DIR: join(root, 'source'),
      UPLOADS_DIR: join(root, 'Uploads'),
      DOWNLOADS_DIR: join(root, 'Downloads'),
      SAMPLE_BYTES: '2000000',
      RATE_LIMIT: '500000',
      CHUNK_BYTES: '8192',
    };
    const service = spawn(process.execPath, [MAIN], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const lines = createInterface({ input: service.stdout });
      const log: Array<{ msg: string; url?: string }> = [];
      const ready = new Promise<string>((resolve) => {
        lines.on('line', (line) => {
          const entry = JSON.parse(line) as { msg: string; url?: string };
          log.push(entry);
          if (entry.msg === 'generated a sample CSV to transfer')
            resolve(log[0]?.url ?? '');
        });
      });
      const url = await ready;
      t.regex(
        log[0]?.msg ?? '',
        /^listening on http:\/\/127\.0\.0\.1:\d+$/,
        'first line',
      );

      const upload = call(`${url}/upload`);
      // Some records written first, so that the pause has a boundary to land on.
      const part = join(root, 'Uploads', 'dummy1.csv.part');
      const sizeOf = async () => (await stat(part).catch(() => null))?.size ?? 0;
      while ((await sizeOf()) === 0) await delay(2);
      service.kill(signal);
      const [code] = await once(service, 'exit');
      t.is(code, 0, 'the graceful path finished before the deadline');
      const reply = await upload;
      t.is(reply.status, 202);
      t.is(reply.body, 'Uploading Paused');
      t.true(log.some((entry) => entry.msg === 'transfer paused'));

      t.deepEqual(await readdir(join(root, 'Uploads')), ['dummy1.csv.part']);
      const source = await readFile(join(root, 'source', 'dummy1.csv'));
      const written = await readFile(part);
      t.true(written.length > 0 && written.length < source.length);
      t.true(written.equals(source.subarray(0, written.length)));
      t.true(scanReference(source).recordEnds.includes(written.length), 'a whole record');
    } finally {
      service.kill('SIGKILL');
      await rm(root, { recursive: true, force: true });
    }
  });
}
