import { copyFile, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import test, { type ExecutionContext } from 'ava';
import { request } from 'node:http';
import type { Transfer } from '../src/transfer.js';
import { scanReference } from './helpers/csv-reference.js';
import { startTestService, type TestService } from './helpers/service.js';

// Copies slow enough that calls land while they run, fast enough to finish.
const OPTIONS = { sampleBytes: 400_000, rateLimit: 2_000_000, chunkBytes: 4096 };
const FILES = ['dummy1.csv', 'b.csv', 'c.csv'];
const ROUTES = ['/upload', '/pause', '/resume', '/terminate'];

// Every reply each route may give under any interleaving, word for word.
const ALLOWED: Record<string, string[]> = {
  '/upload': [
    '200 Uploading Completed',
    '202 Uploading Paused',
    '202 Uploading Started',
    '409 Uploading Terminated',
    '409 Upload Already In Progress',
  ],
  '/pause': ['200 Uploading Paused', '409 Please Start Uploading First'],
  '/resume': [
    '200 Uploading Completed',
    '202 Uploading Paused',
    '202 Uploading Resumed',
    '409 Uploading Terminated',
    '409 Please Start Uploading First',
  ],
  '/terminate': ['200 File Terminated', '409 Please Start Uploading First'],
};

/** A deterministic pseudo-random sequence (mulberry32), so a failing round replays. */
function* sequence(seed: number): Generator<number> {
  let state = seed >>> 0;
  for (;;) {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), state | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    yield ((mixed ^ (mixed >>> 14)) >>> 0) / 2 ** 32;
  }
}

/** One POST on a connection of its own, closed after the reply. */
function post(url: string, headers: Record<string, string>) {
  return new Promise<string>((resolve, reject) => {
    const sent = request(url, { method: 'POST', headers, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (text: string) => (body += text));
      response.on('end', () => resolve(`${response.statusCode} ${body}`));
    });
    sent.on('error', reject);
    sent.end();
  });
}

async function hammer(s: TestService, seed: number, calls: number) {
  const random = sequence(seed);
  const pick = <T>(items: T[]): T =>
    items[Math.floor(random.next().value * items.length)] as T;
  const requests = Array.from({ length: calls }, async () => {
    const route = pick(ROUTES);
    const file = pick(FILES);
    const prefer: Record<string, string> = pick([true, false])
      ? { Prefer: 'respond-async' }
      : {};
    return { route, reply: await post(`${s.url}${route}?file=${file}`, prefer) };
  });
  return Promise.all(requests);
}

/** Checks that files on disk agree with every transfer's state. */
async function assertConsistent(t: ExecutionContext, s: TestService) {
  const transfers = s.service.manager.list();
  const active = transfers.filter((transfer) => transfer.isActive);
  const destinations = active.map((transfer) => transfer.plan.destination);
  t.is(new Set(destinations).size, destinations.length, 'one writer per destination');
  const left = await readdir(s.folders.uploads);
  for (const name of left.filter((entry) => entry.endsWith('.part'))) {
    const holder = active.find((transfer) => `${transfer.plan.file}.part` === name);
    t.truthy(holder, `${name} belongs to an unfinished transfer`);
  }
  for (const file of FILES) {
    const source = await readFile(join(s.folders.source, file));
    if (left.includes(file)) {
      t.true(
        source.equals(await readFile(join(s.folders.uploads, file))),
        `${file} is whole`,
      );
    }
    const paused = active.find((x) => x.plan.file === file && x.state === 'paused');
    if (paused) await assertWholePrefix(t, s, paused, source);
  }
}

async function assertWholePrefix(
  t: ExecutionContext,
  s: TestService,
  transfer: Transfer,
  source: Buffer,
) {
  const part = await readFile(join(s.folders.uploads, `${transfer.plan.file}.part`));
  t.is(part.length, transfer.cursor.offset);
  t.true(part.equals(source.subarray(0, part.length)), 'the partial file is a prefix');
  const ends = scanReference(source).recordEnds;
  t.true(part.length === 0 || ends.includes(part.length), 'it ends on a whole record');
}

async function settleAll(s: TestService) {
  const moving = s.service.manager.list().filter((transfer) => transfer.isMoving);
  await Promise.all(moving.map((transfer) => transfer.untilSettled()));
}

test.serial(
  'dozens of simultaneous calls, repeated, leave a consistent state',
  async (t) => {
    const s = await startTestService(OPTIONS);
    try {
      for (const file of FILES.slice(1)) {
        await copyFile(
          join(s.folders.source, 'dummy1.csv'),
          join(s.folders.source, file),
        );
      }
      for (let round = 1; round <= 6; round += 1) {
        const replies = await hammer(s, round, 48);
        t.log(`round ${round}: ${summarize(replies)}`);
        for (const { route, reply } of replies) {
          t.true(ALLOWED[route]?.includes(reply), `round ${round}: ${route} → ${reply}`);
        }
        await assertConsistent(t, s);
      }
      await settleAll(s);
      await assertConsistent(t, s);
      t.true(
        s.service.manager.list().length > FILES.length,
        'the rounds started transfers',
      );
    } finally {
      await s.close();
    }
  },
);

test.serial(
  'a terminated transfer leaves no partial file, however the calls race',
  async (t) => {
    const s = await startTestService(OPTIONS);
    try {
      await hammer(s, 99, 40);
      const moving = s.service.manager.list().filter((transfer) => transfer.isActive);
      await Promise.all(
        moving.map((transfer) => s.service.manager.terminate(transfer.id)),
      );
      const left = await readdir(s.folders.uploads);
      t.deepEqual(
        left.filter((name) => name.endsWith('.part')),
        [],
      );
      for (const name of left) {
        const [copy, source] = await Promise.all([
          stat(join(s.folders.uploads, name)),
          stat(join(s.folders.source, name)),
        ]);
        t.is(copy.size, source.size, `${name} is complete`);
      }
    } finally {
      await s.close();
    }
  },
);

test.serial(
  'closing the service leaks no thread, timer, socket or file handle',
  async (t) => {
    const resourcesBefore = countResources();
    const handlesBefore = await openFileCount();
    const s = await startTestService(OPTIONS);
    await copyFile(join(s.folders.source, 'dummy1.csv'), join(s.folders.source, 'b.csv'));
    await hammer(s, 7, 40);
    await s.close();
    t.is(s.service.pool.threadCount, 0);
    // Closed handles leave the event loop a turn or two later; wait for that, boundedly.
    for (
      let turn = 0;
      turn < 100 && !sameCounts(countResources(), resourcesBefore);
      turn++
    ) {
      await delay(20);
    }
    t.deepEqual(countResources(), resourcesBefore);
    t.is(await openFileCount(), handlesBefore);
  },
);

function countResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of process.getActiveResourcesInfo())
    counts[name] = (counts[name] ?? 0) + 1;
  return counts;
}

function sameCounts(a: Record<string, number>, b: Record<string, number>): boolean {
  return (
    JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort())
  );
}

async function openFileCount(): Promise<number> {
  return (await readdir('/proc/self/fd')).length;
}

function summarize(replies: Array<{ route: string; reply: string }>): string {
  const counts = new Map<string, number>();
  for (const { route, reply } of replies) {
    const key = `${route} ${reply}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, count]) => `${count}× ${key}`).join(', ');
}
