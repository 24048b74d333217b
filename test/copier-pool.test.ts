import { copyFile, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { call, SLOW_COPY, withService, type TestService } from './helpers/service.js';

const CRASHING_COPIER = new URL('./fixtures/crashing-copier.js', import.meta.url);

test('a copier thread that dies mid-copy fails its transfer, and the next one works', (t) =>
  withService({ ...SLOW_COPY, copierUrl: CRASHING_COPIER }, async (s) => {
    await copyFile(
      join(s.folders.source, 'dummy1.csv'),
      join(s.folders.source, 'crash.csv'),
    );
    const reply = await call(`${s.url}/upload?file=crash.csv`);
    t.is(reply.status, 500);
    t.regex(
      reply.body,
      /^Uploading Failed: the copier thread stopped while copying \(it exited with code 7\)/,
    );
    const failed = s.service.manager.current('upload');
    t.is(failed?.state, 'failed');
    t.is(failed?.error?.code, 'COPIER_DIED');
    t.deepEqual(await readdir(s.folders.uploads), [], 'the partial file is gone');

    const next = await s.service.manager.create({
      direction: 'upload',
      file: 'dummy1.csv',
    });
    t.is(next.state, 'running');
    await s.service.manager.pause(next.id);
    await s.service.manager.terminate(next.id);
    t.is(next.state, 'terminated');
  }));

test('a pause sent to a thread that dies does not wait forever', (t) =>
  withService({ ...SLOW_COPY, copierUrl: CRASHING_COPIER }, async (s) => {
    const source = join(s.folders.source, 'crash-on-stop.csv');
    await copyFile(join(s.folders.source, 'dummy1.csv'), source);
    const upload = call(`${s.url}/upload?file=crash-on-stop.csv`);
    const transfer = await waitForTransfer(s, 'running');
    const pause = await call(`${s.url}/api/transfers/${transfer}/pause`);
    t.is(pause.status, 409);
    t.regex(
      pause.body,
      /was failed before it could be paused: the copier thread stopped/,
    );
    t.is((await upload).status, 500);
  }));

test('a copier thread that dies fails every transfer it was running', (t) =>
  withService({ ...SLOW_COPY, copierUrl: CRASHING_COPIER, poolSize: 1 }, async (s) => {
    await copyFile(
      join(s.folders.source, 'dummy1.csv'),
      join(s.folders.source, 'other.csv'),
    );
    const bystander = await s.service.manager.create({
      direction: 'upload',
      file: 'other.csv',
    });
    await copyFile(
      join(s.folders.source, 'dummy1.csv'),
      join(s.folders.source, 'crash.csv'),
    );
    await s.service.manager.create({ direction: 'upload', file: 'crash.csv' });
    await bystander.untilSettled();
    t.is(bystander.state, 'failed');
    t.is(bystander.error?.code, 'COPIER_DIED');
  }));

test('the thread count stays bounded however many transfers run', (t) =>
  withService({ ...SLOW_COPY, poolSize: 2, copiesPerThread: 2 }, async (s) => {
    const names = Array.from({ length: 10 }, (_, i) => `file${i}.csv`);
    const source = join(s.folders.source, 'dummy1.csv');
    await Promise.all(
      names.map((name) => copyFile(source, join(s.folders.source, name))),
    );
    const transfers = await Promise.all(
      names.map((file) => s.service.manager.create({ direction: 'upload', file })),
    );
    t.is(s.service.pool.threadCount, 2);
    const states = transfers.map((transfer) => transfer.state);
    t.is(states.filter((state) => state === 'running').length, 4);
    t.is(states.filter((state) => state === 'queued').length, 6);

    // A paused transfer holds no thread: pausing the runners lets queued ones start.
    const runners = transfers.filter((transfer) => transfer.state === 'running');
    await Promise.all(runners.map((transfer) => s.service.manager.pause(transfer.id)));
    t.is(transfers.filter((transfer) => transfer.state === 'running').length, 4);
    t.is(transfers.filter((transfer) => transfer.state === 'paused').length, 4);
    t.is(s.service.pool.threadCount, 2);
    await Promise.all(
      transfers.map((transfer) => s.service.manager.terminate(transfer.id)),
    );
    t.deepEqual(await readdir(s.folders.uploads), []);
  }));

test('a queued transfer can be paused and resumed before it ever ran', (t) =>
  withService({ ...SLOW_COPY, poolSize: 1, copiesPerThread: 1 }, async (s) => {
    const source = join(s.folders.source, 'dummy1.csv');
    await copyFile(source, join(s.folders.source, 'second.csv'));
    const first = await s.service.manager.create({
      direction: 'upload',
      file: 'dummy1.csv',
    });
    const second = await s.service.manager.create({
      direction: 'upload',
      file: 'second.csv',
    });
    t.is(second.state, 'queued');
    await s.service.manager.pause(second.id);
    t.is(second.state, 'paused');
    t.is(second.cursor.offset, 0);
    await s.service.manager.resume(second.id);
    t.is(second.state, 'queued');
    await s.service.manager.pause(first.id);
    t.is(second.state, 'running', 'the freed slot goes to the waiting transfer');
    await s.service.manager.terminate(first.id);
    await s.service.manager.pause(second.id);
    await s.service.manager.resume(second.id);
    await second.untilSettled();
    t.is(second.state, 'completed');
    t.true(
      (await readFile(source)).equals(
        await readFile(join(s.folders.uploads, 'second.csv')),
      ),
    );
  }));

async function waitForTransfer(s: TestService, state: string): Promise<string> {
  for (;;) {
    const transfer = s.service.manager.list(state as 'running')[0];
    if (transfer) return transfer.id;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
