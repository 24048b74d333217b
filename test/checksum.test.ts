import { createHash } from 'node:crypto';
import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import test from 'ava';
import { call, SLOW_COPY, withService } from './helpers/service.js';

const SLOW = { ...SLOW_COPY, rateLimit: 300_000 };
const CRASHING_COPIER = new URL('./fixtures/crashing-copier.js', import.meta.url);

async function sha256Of(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

test('a completed transfer reports the SHA-256 of what it wrote', (t) =>
  withService({}, async (s) => {
    const reply = await call(`${s.url}/upload`, { accept: 'json' });
    const { transfer } = reply.json() as { transfer: { sha256: string } };
    const expected = await sha256Of(join(s.folders.uploads, 'dummy1.csv'));
    t.is(transfer.sha256, expected);
    t.is(expected, await sha256Of(join(s.folders.source, 'dummy1.csv')));
    const status = (await (await fetch(`${s.url}/status`)).json()) as {
      upload: { sha256: string };
    };
    t.is(status.upload.sha256, expected);
  }));

test('the checksum survives pauses and resumes', (t) =>
  withService(SLOW, async (s) => {
    const { manager } = s.service;
    const transfer = await manager.create({ direction: 'upload', file: 'dummy1.csv' });
    for (let pause = 0; pause < 3; pause += 1) {
      await manager.pause(transfer.id);
      t.is(transfer.sha256, null, 'no checksum before the copy is complete');
      await manager.resume(transfer.id);
    }
    await transfer.untilSettled();
    t.is(transfer.state, 'completed');
    t.true(transfer.cursor.offset > 0);
    t.is(transfer.sha256, await sha256Of(join(s.folders.source, 'dummy1.csv')));
  }));

test('a checksum whose thread died during a pause is rebuilt on resume', (t) =>
  withService({ ...SLOW, poolSize: 1, copierUrl: CRASHING_COPIER }, async (s) => {
    const { manager } = s.service;
    const transfer = await manager.create({ direction: 'upload', file: 'dummy1.csv' });
    // A pause before the first write would leave nothing hashed to rebuild.
    while (transfer.cursor.offset === 0) await delay(5);
    await manager.pause(transfer.id);
    t.true(transfer.cursor.offset > 0, 'some bytes were hashed before the pause');

    await copyFile(
      join(s.folders.source, 'dummy1.csv'),
      join(s.folders.source, 'crash.csv'),
    );
    const crash = await manager.create({ direction: 'upload', file: 'crash.csv' });
    await crash.untilSettled();
    t.is(crash.error?.code, 'COPIER_DIED');

    await manager.resume(transfer.id);
    await transfer.untilSettled();
    t.is(transfer.state, 'completed');
    t.is(transfer.sha256, await sha256Of(join(s.folders.source, 'dummy1.csv')));
  }));

test('with the checksum off, no SHA-256 is reported', (t) =>
  withService({ checksum: false }, async (s) => {
    const reply = await call(`${s.url}/upload`, { accept: 'json' });
    const { message, transfer } = reply.json() as {
      message: string;
      transfer: { sha256: string | null };
    };
    t.is(message, 'Uploading Completed');
    t.is(transfer.sha256, null);
  }));
