import { readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { call, SLOW_COPY, withService, type TestService } from './helpers/service.js';

interface TransferJson {
  id: string;
  direction: string;
  file: string;
  state: string;
  bytesDone: number;
  bytesTotal: number;
  records: number;
  error: { code: string; message: string } | null;
}
interface ErrorJson {
  error: { code: string; message: string };
  transfer?: TransferJson;
}

const createTransfer = (s: TestService, body: unknown) =>
  call(`${s.url}/api/transfers`, {
    headers: { 'Content-Type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const getJson = async (url: string) => {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as unknown };
};

test('POST /api/transfers creates a transfer with a Location and returns it', (t) =>
  withService(SLOW_COPY, async (s) => {
    const reply = await createTransfer(s, { direction: 'upload', file: 'dummy1.csv' });
    t.is(reply.status, 201);
    const transfer = reply.json() as TransferJson;
    t.is(reply.headers.get('location'), `/api/transfers/${transfer.id}`);
    t.like(transfer, { direction: 'upload', file: 'dummy1.csv', error: null });
    t.true(['queued', 'running'].includes(transfer.state));
    t.true(transfer.bytesTotal > 1_000_000);

    const fetched = await getJson(`${s.url}/api/transfers/${transfer.id}`);
    t.is(fetched.status, 200);
    t.is((fetched.body as TransferJson).id, transfer.id);
  }));

test('pause, resume and terminate move a transfer and answer with its true state', (t) =>
  withService(SLOW_COPY, async (s) => {
    const created = (
      await createTransfer(s, { direction: 'upload', file: 'dummy1.csv' })
    ).json() as TransferJson;
    const move = (name: string) => call(`${s.url}/api/transfers/${created.id}/${name}`);

    const paused = await move('pause');
    t.is(paused.status, 200);
    t.is((paused.json() as TransferJson).state, 'paused');
    const part = await readFile(join(s.folders.uploads, 'dummy1.csv.part'));
    t.is(part.length, (paused.json() as TransferJson).bytesDone);
    t.true(part.length === 0 || part[part.length - 1] === 0x0a, 'ends on a whole record');

    const resumed = await move('resume');
    t.is(resumed.status, 200);
    t.true(['queued', 'running'].includes((resumed.json() as TransferJson).state));

    const terminated = await move('terminate');
    t.is(terminated.status, 200);
    t.is((terminated.json() as TransferJson).state, 'terminated');

    for (const name of ['pause', 'resume', 'terminate']) {
      const refused = await move(name);
      t.is(refused.status, 409, name);
      const body = refused.json() as ErrorJson;
      t.is(body.error.code, 'ILLEGAL_MOVE');
      t.regex(body.error.message, /is terminated; only a queued, running or paused/);
      t.is(body.transfer?.state, 'terminated');
    }
  }));

test('GET /api/transfers lists transfers and filters them by state', (t) =>
  withService({}, async (s) => {
    await call(`${s.url}/upload`);
    await call(`${s.url}/download`);
    const all = await getJson(`${s.url}/api/transfers`);
    const transfers = (all.body as { transfers: TransferJson[] }).transfers;
    t.deepEqual(
      transfers.map((x) => x.direction),
      ['upload', 'download'],
    );
    const completed = await getJson(`${s.url}/api/transfers?state=completed`);
    t.is((completed.body as { transfers: TransferJson[] }).transfers.length, 2);
    const running = await getJson(`${s.url}/api/transfers?state=running`);
    t.deepEqual((running.body as { transfers: TransferJson[] }).transfers, []);
    const bad = await getJson(`${s.url}/api/transfers?state=sleeping`);
    t.is(bad.status, 400);
    t.regex(
      (bad.body as ErrorJson).error.message,
      /state must be one of .*got "sleeping"/,
    );
  }));

test('GET /api/files lists the CSV files of each folder with their sizes', (t) =>
  withService({}, async (s) => {
    await writeFile(join(s.folders.source, 'notes.md'), 'not a transfer file');
    await call(`${s.url}/upload`);
    const { status, body } = await getJson(`${s.url}/api/files`);
    t.is(status, 200);
    const size = (await readFile(join(s.folders.source, 'dummy1.csv'))).length;
    t.deepEqual(body, {
      source: [{ name: 'dummy1.csv', bytes: size }],
      uploads: [{ name: 'dummy1.csv', bytes: size }],
      downloads: [],
    });
  }));

test('an unknown transfer id answers 404 with a JSON error', (t) =>
  withService({ sampleBytes: 0 }, async (s) => {
    const { status, body } = await getJson(`${s.url}/api/transfers/no-such-id`);
    t.is(status, 404);
    t.deepEqual(body, {
      error: { code: 'TRANSFER_NOT_FOUND', message: 'no transfer with id no-such-id' },
    });
    const pause = await call(`${s.url}/api/transfers/no-such-id/pause`);
    t.is(pause.status, 404);
  }));

test('a missing source answers 404 naming the file and the folder', (t) =>
  withService({ sampleBytes: 0 }, async (s) => {
    const upload = await createTransfer(s, { direction: 'upload', file: 'gone.csv' });
    t.is(upload.status, 404);
    t.deepEqual(upload.json(), {
      error: {
        code: 'SOURCE_NOT_FOUND',
        message: 'no file named gone.csv in the source folder',
      },
    });
    const download = await createTransfer(s, { direction: 'download', file: 'gone.csv' });
    t.is((download.json() as ErrorJson).error.code, 'NOT_UPLOADED');
  }));

const HOSTILE_NAMES = [
  '../etc/passwd',
  '..',
  'a/b.csv',
  'a\\b.csv',
  '/etc/passwd',
  '.hidden.csv',
  'x..csv',
  'report.exe',
  'a\u0000.csv',
  '',
  'x'.repeat(300) + '.csv',
];

test('hostile or odd file names are refused with 400 and a message saying what is expected', (t) =>
  withService({}, async (s) => {
    for (const file of HOSTILE_NAMES) {
      const reply = await createTransfer(s, { direction: 'upload', file });
      t.is(reply.status, 400, JSON.stringify(file));
      const { error } = reply.json() as ErrorJson;
      t.is(error.code, 'INVALID_FILE_NAME');
      t.regex(error.message, /must be a plain name ending in \.csv, \.tsv, \.txt/);
    }
  }));

test('malformed transfer requests are refused with 400', (t) =>
  withService({}, async (s) => {
    const cases: Array<[unknown, RegExp]> = [
      [{ direction: 'sideways', file: 'dummy1.csv' }, /direction/],
      [{ file: 'dummy1.csv' }, /direction/],
      [{ direction: 'upload' }, /file/],
      [{ direction: 'upload', file: 42 }, /file/],
      [{ direction: 'upload', file: 'dummy1.csv', extra: true }, /extra/],
      [{ direction: 'upload', file: 'dummy1.csv', delimiter: 'ab' }, /delimiter must be/],
      ['{"direction": ', /JSON|body/i],
    ];
    for (const [body, message] of cases) {
      const reply = await createTransfer(s, body);
      t.is(reply.status, 400, JSON.stringify(body));
      t.regex((reply.json() as ErrorJson).error.message, message);
    }
  }));

test('a symbolic link in a folder is not followed', (t) =>
  withService({}, async (s) => {
    await symlink('/etc/hostname', join(s.folders.source, 'link.csv'));
    const reply = await createTransfer(s, { direction: 'upload', file: 'link.csv' });
    t.is(reply.status, 400);
    t.is((reply.json() as ErrorJson).error.code, 'NOT_A_FILE');
  }));

test('two transfers may not write the same destination at once', (t) =>
  withService(SLOW_COPY, async (s) => {
    const first = await createTransfer(s, { direction: 'upload', file: 'dummy1.csv' });
    t.is(first.status, 201);
    const second = await createTransfer(s, { direction: 'upload', file: 'dummy1.csv' });
    t.is(second.status, 409);
    const { error } = second.json() as ErrorJson;
    t.is(error.code, 'DESTINATION_BUSY');
    t.regex(error.message, /dummy1\.csv in the uploads folder is already being written/);
  }));

test('a custom delimiter is accepted per transfer and the copy is exact', (t) =>
  withService({ sampleBytes: 0 }, async (s) => {
    const rows = ['a;b;c', '"x;y";"line\nbreak";3', '12" pipe;"q""uote";end', ''];
    await writeFile(join(s.folders.source, 'semi.csv'), rows.join('\r\n'));
    const reply = await createTransfer(s, {
      direction: 'upload',
      file: 'semi.csv',
      delimiter: ';',
    });
    t.is(reply.status, 201);
    const { id } = reply.json() as TransferJson;
    await s.service.manager.get(id).untilSettled();
    const done = (await getJson(`${s.url}/api/transfers/${id}`)).body as TransferJson;
    t.is(done.state, 'completed');
    t.is(done.records, 3);
    const [source, copy] = await Promise.all([
      readFile(join(s.folders.source, 'semi.csv')),
      readFile(join(s.folders.uploads, 'semi.csv')),
    ]);
    t.true(source.equals(copy));
  }));

test('an unterminated quote fails the transfer naming the line and byte', (t) =>
  withService({ sampleBytes: 0, maxRecordBytes: 4096, chunkBytes: 1024 }, async (s) => {
    const good = 'id,name\n1,ok\n2,"fine"\n';
    const broken = good + '3,"never closed\n' + 'filler,row\n'.repeat(1000);
    await writeFile(join(s.folders.source, 'broken.csv'), broken);
    const before = await readFile(join(s.folders.source, 'broken.csv'));
    const reply = await call(`${s.url}/upload?file=broken.csv`);
    t.is(reply.status, 422);
    t.is(
      reply.body,
      `Uploading Failed: a quoted field opens at line 4 (byte ${good.length + 2}) ` +
        'and never closes: it is still open after 4 KiB',
    );
    t.is((await s.service.manager.current('upload'))?.error?.code, 'UNCLOSED_QUOTE');
    t.true(before.equals(await readFile(join(s.folders.source, 'broken.csv'))));
    const files = (await getJson(`${s.url}/api/files`)).body as { uploads: unknown[] };
    t.deepEqual(files.uploads, []);
  }));
