import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import test from 'ava';
import { loadConfig } from '../src/config.js';

test('with nothing set, the service uses its documented defaults', (t) => {
  const config = loadConfig([], {});
  t.is(config.port, 3000);
  t.is(config.host, '127.0.0.1');
  t.deepEqual(config.folders, {
    source: resolve('data'),
    uploads: resolve('Uploads'),
    downloads: resolve('Downloads'),
  });
  t.is(config.poolSize, availableParallelism());
  t.is(config.copy.chunkBytes, 1 << 20);
  t.is(config.copy.maxRecordBytes, 64 << 20);
  t.is(config.sampleBytes, 200_000_000);
});

test('a flag wins over its environment variable', (t) => {
  const config = loadConfig(['--port', '8080', '--uploads-dir', '/srv/in'], {
    PORT: '9000',
    UPLOADS_DIR: '/srv/other',
    POOL_SIZE: '3',
  });
  t.is(config.port, 8080);
  t.is(config.folders.uploads, '/srv/in');
  t.is(config.poolSize, 3);
});

test('a bad setting is refused with a message naming the setting and its flag', (t) => {
  const error = t.throws(() => loadConfig([], { PORT: 'eighty' }));
  t.regex(error?.message ?? '', /^invalid configuration: PORT \(--port\): /);
  t.throws(() => loadConfig(['--pool-size', '0']), {
    message: /POOL_SIZE \(--pool-size\)/,
  });
  t.throws(() => loadConfig(['--no-such-flag', '1']), { message: /no-such-flag/ });
});
