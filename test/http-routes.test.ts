import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import {
  call,
  SLOW_COPY,
  withService,
  type Reply,
  type TestService,
} from './helpers/service.js';

// Every row of the route table, answered in plain text and in JSON.
type Accept = 'text' | 'json';
const ACCEPTS: Accept[] = ['text', 'json'];

interface TransferJson {
  id: string;
  state: string;
  direction: string;
  bytesDone: number;
  bytesTotal: number;
}

function assertReply(
  t: ExecutionContext,
  reply: Reply,
  accept: Accept,
  status: number,
  message: string,
): TransferJson | null {
  t.is(reply.status, status, `status of "${reply.body}"`);
  if (accept === 'text') {
    t.is(reply.body, message);
    t.regex(reply.headers.get('content-type') ?? '', /^text\/plain/);
    return null;
  }
  const body = reply.json() as { message: string; transfer: TransferJson | null };
  t.is(body.message, message);
  return body.transfer;
}

async function sameBytes(t: ExecutionContext, a: string, b: string) {
  const [left, right] = await Promise.all([readFile(a), readFile(b)]);
  t.true(left.equals(right), `${b} equals ${a}`);
}

const FINAL_STATES = ['completed', 'terminated', 'failed'];

/** Resolves once /status shows `direction` in `state`; throws if it finishes first. */
async function until(url: string, direction: 'upload' | 'download', state: string) {
  for (;;) {
    const status = (await (await fetch(`${url}/status`)).json()) as Record<
      string,
      { state: string } | null
    >;
    const now = status[direction]?.state ?? 'none';
    if (now === state) return;
    if (FINAL_STATES.includes(now)) throw new Error(`the ${direction} was ${now} first`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const post = (
  s: TestService,
  route: string,
  accept: Accept,
  headers: Record<string, string> = {},
) => call(`${s.url}${route}`, { accept, headers });

for (const accept of ACCEPTS) {
  test(`POST /upload copies the file and answers Uploading Completed (${accept})`, (t) =>
    withService({}, async (s) => {
      const transfer = assertReply(
        t,
        await post(s, '/upload', accept),
        accept,
        200,
        'Uploading Completed',
      );
      if (transfer) t.is(transfer.state, 'completed');
      await sameBytes(
        t,
        join(s.folders.source, 'dummy1.csv'),
        join(s.folders.uploads, 'dummy1.csv'),
      );
      t.deepEqual(await readdir(s.folders.uploads), ['dummy1.csv']);
    }));

  test(`POST /upload paused before it finished answers Uploading Paused (${accept})`, (t) =>
    withService(SLOW_COPY, async (s) => {
      const upload = post(s, '/upload', accept);
      await until(s.url, 'upload', 'running');
      assertReply(t, await post(s, '/pause', accept), accept, 200, 'Uploading Paused');
      const transfer = assertReply(t, await upload, accept, 202, 'Uploading Paused');
      if (transfer) t.is(transfer.state, 'paused');
      t.deepEqual(await readdir(s.folders.uploads), ['dummy1.csv.part']);
    }));

  test(`POST /upload terminated before it finished answers Uploading Terminated (${accept})`, (t) =>
    withService(SLOW_COPY, async (s) => {
      const upload = post(s, '/upload', accept);
      await until(s.url, 'upload', 'running');
      assertReply(t, await post(s, '/terminate', accept), accept, 200, 'File Terminated');
      assertReply(t, await upload, accept, 409, 'Uploading Terminated');
      t.deepEqual(await readdir(s.folders.uploads), []);
    }));

  test(`POST /upload while an upload runs or is paused answers Upload Already In Progress (${accept})`, (t) =>
    withService(SLOW_COPY, async (s) => {
      const first = post(s, '/upload', accept);
      await until(s.url, 'upload', 'running');
      assertReply(
        t,
        await post(s, '/upload', accept),
        accept,
        409,
        'Upload Already In Progress',
      );
      await post(s, '/pause', accept);
      await first;
      assertReply(
        t,
        await post(s, '/upload', accept),
        accept,
        409,
        'Upload Already In Progress',
      );
    }));

  test(`POST /upload of a missing source answers 404 naming the file (${accept})`, (t) =>
    withService({ sampleBytes: 0 }, async (s) => {
      const reply = await call(`${s.url}/upload?file=missing.csv`, { accept });
      t.is(reply.status, 404);
      const message =
        accept === 'text' ? reply.body : (reply.json() as { message: string }).message;
      t.regex(message, /missing\.csv/);
    }));

  test(`POST /pause with nothing running answers Please Start Uploading First (${accept})`, (t) =>
    withService({}, async (s) => {
      assertReply(
        t,
        await post(s, '/pause', accept),
        accept,
        409,
        'Please Start Uploading First',
      );
      await post(s, '/upload', accept);
      assertReply(
        t,
        await post(s, '/pause', accept),
        accept,
        409,
        'Please Start Uploading First',
      );
    }));

  test(`POST /pause of a paused upload answers Uploading Paused again (${accept})`, (t) =>
    withService(SLOW_COPY, async (s) => {
      await post(s, '/upload', accept, { Prefer: 'respond-async' });
      assertReply(t, await post(s, '/pause', accept), accept, 200, 'Uploading Paused');
      assertReply(t, await post(s, '/pause', accept), accept, 200, 'Uploading Paused');
    }));

  test(`POST /resume of a paused upload waits and answers Uploading Completed (${accept})`, (t) =>
    withService(SLOW_COPY, async (s) => {
      await post(s, '/upload', accept, { Prefer: 'respond-async' });
      await post(s, '/pause', accept);
      const transfer = assertReply(
        t,
        await post(s, '/resume', accept),
        accept,
        200,
        'Uploading Completed',
      );
      if (transfer) t.is(transfer.bytesDone, transfer.bytesTotal);
      await sameBytes(
        t,
        join(s.folders.source, 'dummy1.csv'),
        join(s.folders.uploads, 'dummy1.csv'),
      );
    }));

  test(`POST /resume of a running upload just waits for it (${accept})`, (t) =>
    withService(SLOW_COPY, async (s) => {
      await post(s, '/upload', accept, { Prefer: 'respond-async' });
      assertReply(
        t,
        await post(s, '/resume', accept),
        accept,
        200,
        'Uploading Completed',
      );
    }));

  test(`POST /resume paused again before it finished answers Uploading Paused (${accept})`, (t) =>
    withService(SLOW_COPY, async (s) => {
      await post(s, '/upload', accept, { Prefer: 'respond-async' });
      await post(s, '/pause', accept);
      const resumed = post(s, '/resume', accept);
      await until(s.url, 'upload', 'running');
      await post(s, '/pause', accept);
      assertReply(t, await resumed, accept, 202, 'Uploading Paused');
    }));

  test(`POST /resume with no upload, or a finished one, answers Please Start Uploading First (${accept})`, (t) =>
    withService({}, async (s) => {
      assertReply(
        t,
        await post(s, '/resume', accept),
        accept,
        409,
        'Please Start Uploading First',
      );
      await post(s, '/upload', accept);
      assertReply(
        t,
        await post(s, '/resume', accept),
        accept,
        409,
        'Please Start Uploading First',
      );
    }));

  test(`POST /terminate stops a paused upload and deletes its partial file (${accept})`, (t) =>
    withService(SLOW_COPY, async (s) => {
      await post(s, '/upload', accept, { Prefer: 'respond-async' });
      await post(s, '/pause', accept);
      t.deepEqual(await readdir(s.folders.uploads), ['dummy1.csv.part']);
      assertReply(t, await post(s, '/terminate', accept), accept, 200, 'File Terminated');
      t.deepEqual(await readdir(s.folders.uploads), []);
      assertReply(
        t,
        await post(s, '/terminate', accept),
        accept,
        409,
        'Please Start Uploading First',
      );
    }));

  test(`POST /terminate with no upload terminates a running download (${accept})`, (t) =>
    withService(SLOW_COPY, async (s) => {
      await s.service.manager
        .create({ direction: 'upload', file: 'dummy1.csv' })
        .then((upload) => upload.untilSettled());
      await post(s, '/download', accept, { Prefer: 'respond-async' });
      assertReply(t, await post(s, '/terminate', accept), accept, 200, 'File Terminated');
      t.is(s.service.manager.current('download')?.state, 'terminated');
      t.deepEqual(await readdir(s.folders.downloads), []);
    }));

  test(`POST /download copies the uploaded file and answers Downloading Completed (${accept})`, (t) =>
    withService({}, async (s) => {
      await post(s, '/upload', accept);
      const transfer = assertReply(
        t,
        await post(s, '/download', accept),
        accept,
        200,
        'Downloading Completed',
      );
      if (transfer) t.is(transfer.direction, 'download');
      await sameBytes(
        t,
        join(s.folders.source, 'dummy1.csv'),
        join(s.folders.downloads, 'dummy1.csv'),
      );
    }));

  test(`POST /download with no uploaded file answers Please Upload File First (${accept})`, (t) =>
    withService({}, async (s) => {
      assertReply(
        t,
        await post(s, '/download', accept),
        accept,
        404,
        'Please Upload File First',
      );
    }));

  test(`a download paused, resumed, re-paused and terminated answers as the table says (${accept})`, (t) =>
    withService(SLOW_COPY, async (s) => {
      await s.service.manager
        .create({ direction: 'upload', file: 'dummy1.csv' })
        .then((upload) => upload.untilSettled());
      assertReply(
        t,
        await post(s, '/downloadPause', accept),
        accept,
        409,
        'Please Start Downloading First',
      );
      assertReply(
        t,
        await post(s, '/downloadResume', accept),
        accept,
        409,
        'Please Start Downloading First',
      );
      const download = post(s, '/download', accept);
      await until(s.url, 'download', 'running');
      assertReply(
        t,
        await post(s, '/download', accept),
        accept,
        409,
        'Download Already In Progress',
      );
      assertReply(
        t,
        await post(s, '/downloadPause', accept),
        accept,
        200,
        'Downloading Paused',
      );
      assertReply(t, await download, accept, 202, 'Downloading Paused');
      const resumed = post(s, '/downloadResume', accept);
      await until(s.url, 'download', 'running');
      await post(s, '/downloadPause', accept);
      assertReply(t, await resumed, accept, 202, 'Downloading Paused');
      const again = post(s, '/download', accept);
      assertReply(t, await again, accept, 409, 'Download Already In Progress');
      const last = post(s, '/downloadResume', accept);
      await until(s.url, 'download', 'running');
      assertReply(
        t,
        await post(s, '/downloadTerminate', accept),
        accept,
        200,
        'File Terminated',
      );
      assertReply(t, await last, accept, 409, 'Downloading Terminated');
      assertReply(
        t,
        await post(s, '/downloadTerminate', accept),
        accept,
        409,
        'Please Start Downloading First',
      );
      t.deepEqual(await readdir(s.folders.downloads), []);
    }));

  test(`a download resumed to the end answers Downloading Completed (${accept})`, (t) =>
    withService(SLOW_COPY, async (s) => {
      await s.service.manager
        .create({ direction: 'upload', file: 'dummy1.csv' })
        .then((upload) => upload.untilSettled());
      await post(s, '/download', accept, { Prefer: 'respond-async' });
      await post(s, '/downloadPause', accept);
      assertReply(
        t,
        await post(s, '/downloadResume', accept),
        accept,
        200,
        'Downloading Completed',
      );
      await sameBytes(
        t,
        join(s.folders.source, 'dummy1.csv'),
        join(s.folders.downloads, 'dummy1.csv'),
      );
    }));

  test(`/downloadTerminate leaves a running upload alone (${accept})`, (t) =>
    withService(SLOW_COPY, async (s) => {
      await post(s, '/upload', accept, { Prefer: 'respond-async' });
      assertReply(
        t,
        await post(s, '/downloadTerminate', accept),
        accept,
        409,
        'Please Start Downloading First',
      );
      t.is(s.service.manager.current('upload')?.state, 'running');
    }));

  test(`Prefer: respond-async answers at once with a Location (${accept})`, (t) =>
    withService(SLOW_COPY, async (s) => {
      const async = { Prefer: 'respond-async' };
      const started = await post(s, '/upload', accept, async);
      const transfer = assertReply(t, started, accept, 202, 'Uploading Started');
      const location = started.headers.get('location') ?? '';
      t.regex(location, /^\/api\/transfers\/[0-9a-f-]{36}$/);
      if (transfer) t.is(location, `/api/transfers/${transfer.id}`);
      await post(s, '/pause', accept);
      const resumed = await post(s, '/resume', accept, async);
      assertReply(t, resumed, accept, 202, 'Uploading Resumed');
      t.is(resumed.headers.get('location'), location);
      const view = (await (await fetch(`${s.url}${location}`)).json()) as TransferJson;
      t.true(['queued', 'running', 'completed'].includes(view.state));
    }));
}

test('GET /status shows the current upload and download, or null', (t) =>
  withService({}, async (s) => {
    const idle = await fetch(`${s.url}/status`);
    t.is(idle.status, 200);
    t.deepEqual(await idle.json(), { upload: null, download: null });
    await call(`${s.url}/upload`);
    const status = (await (await fetch(`${s.url}/status`)).json()) as {
      upload: Record<string, unknown>;
      download: null;
    };
    t.is(status.download, null);
    t.is(status.upload.state, 'completed');
    t.is(status.upload.bytesDone, status.upload.bytesTotal);
    t.deepEqual(Object.keys(status.upload).sort(), [
      'bytesDone',
      'bytesPerSecond',
      'bytesTotal',
      'createdAt',
      'direction',
      'error',
      'file',
      'id',
      'records',
      'sha256',
      'state',
      'updatedAt',
    ]);
  }));

test('GET / serves the web page', (t) =>
  withService({ sampleBytes: 0 }, async (s) => {
    const page = await fetch(`${s.url}/`);
    t.is(page.status, 200);
    t.regex(page.headers.get('content-type') ?? '', /text\/html/);
    t.regex(await page.text(), /<html/i);
  }));

test('the routes take a file name from the query or a JSON body', (t) =>
  withService({ sampleBytes: 0 }, async (s) => {
    const { writeSampleCsv } = await import('../src/sample-csv.js');
    await writeSampleCsv(join(s.folders.source, 'data.csv'), { bytes: 10_000 });
    const byQuery = await call(`${s.url}/upload?file=data.csv`);
    t.is(byQuery.body, 'Uploading Completed');
    await rm(join(s.folders.uploads, 'data.csv'));
    const byBody = await call(`${s.url}/upload`, {
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ file: 'data.csv' }),
    });
    t.is(byBody.body, 'Uploading Completed');
    await sameBytes(
      t,
      join(s.folders.source, 'data.csv'),
      join(s.folders.uploads, 'data.csv'),
    );
  }));

test('a hostile file name on a seed route is refused with 400', (t) =>
  withService({}, async (s) => {
    for (const name of ['../etc/passwd', 'a/b.csv', 'x.exe', '.hidden.csv', 'a\0.csv']) {
      const reply = await call(`${s.url}/upload?file=${encodeURIComponent(name)}`);
      t.is(reply.status, 400, name);
      t.regex(reply.body, /file name must be a plain name/);
    }
  }));

test('a client that disconnects while waiting does not stop the transfer', (t) =>
  withService(SLOW_COPY, async (s) => {
    const { request } = await import('node:http');
    const waiting = request(`${s.url}/upload`, { method: 'POST', agent: false });
    const gone = new Promise<void>((resolve) => waiting.on('error', () => resolve()));
    waiting.end();
    await until(s.url, 'upload', 'running');
    waiting.destroy();
    await gone;
    const transfer = s.service.manager.current('upload');
    t.is(transfer?.state, 'running');
    await transfer?.untilSettled();
    t.is(transfer?.state, 'completed');
    await sameBytes(
      t,
      join(s.folders.source, 'dummy1.csv'),
      join(s.folders.uploads, 'dummy1.csv'),
    );
  }));
