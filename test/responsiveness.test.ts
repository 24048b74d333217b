import test from 'ava';
import { call, startTestService } from './helpers/service.js';

interface Status {
  upload: { state: string; bytesDone: number; bytesTotal: number } | null;
}

test('GET /status answers while a couple of hundred megabytes are copied', async (t) => {
  const s = await startTestService({ sampleBytes: 200_000_000, chunkBytes: 1 << 20 });
  try {
    const started = await call(`${s.url}/upload`, {
      headers: { Prefer: 'respond-async' },
    });
    t.is(started.status, 202);
    const seen: number[] = [];
    for (;;) {
      const response = await fetch(`${s.url}/status`);
      t.is(response.status, 200);
      const { upload } = (await response.json()) as Status;
      if (upload?.state !== 'running') break;
      seen.push(upload.bytesDone);
    }
    t.log(`${seen.length} answers while the copy ran`);
    t.true(seen.length >= 2, 'the server answered during the copy');
    t.true(
      (seen.at(-1) ?? 0) > (seen[0] ?? 0),
      'progress reached the main thread meanwhile',
    );
    t.is(s.service.manager.current('upload')?.state, 'completed');
  } finally {
    await s.close();
  }
});
