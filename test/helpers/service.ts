import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Config } from '../../src/config.js';
import { writeSampleCsv } from '../../src/sample-csv.js';
import { startService, type Service } from '../../src/service.js';

export interface TestServiceOptions {
  /** Size of the dummy1.csv made in the source folder; 0 makes none. */
  sampleBytes?: number;
  /** Bytes per second at most, so that a copy lasts long enough to act on. */
  rateLimit?: number;
  chunkBytes?: number;
  maxRecordBytes?: number;
  poolSize?: number;
  copiesPerThread?: number;
  copierUrl?: URL;
  checksum?: boolean;
}

export interface TestService {
  url: string;
  folders: Config['folders'];
  service: Service;
  /** Stops the service and removes its folders. */
  close(): Promise<void>;
}

/** Starts the service on an ephemeral port over fresh temporary folders. */
export async function startTestService(
  options: TestServiceOptions = {},
): Promise<TestService> {
  const root = await mkdtemp(join(tmpdir(), 'csv-transfer-'));
  const folders = {
    source: join(root, 'source'),
    uploads: join(root, 'Uploads'),
    downloads: join(root, 'Downloads'),
  };
  await mkdir(folders.source, { recursive: true });
  const sampleBytes = options.sampleBytes ?? 200_000;
  if (sampleBytes > 0) {
    await writeSampleCsv(join(folders.source, 'dummy1.csv'), { bytes: sampleBytes });
  }
  const config: Config = {
    port: 0,
    host: '127.0.0.1',
    folders,
    poolSize: options.poolSize ?? 2,
    copiesPerThread: options.copiesPerThread ?? 4,
    copy: {
      chunkBytes: options.chunkBytes ?? 64 * 1024,
      maxRecordBytes: options.maxRecordBytes ?? 1 << 20,
      rateLimit: options.rateLimit ?? 0,
      checksum: options.checksum ?? true,
    },
    sampleBytes: 0,
    logLevel: 'silent',
  };
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const service = await startService({ config, logger, copierUrl: options.copierUrl });
  return {
    url: service.url,
    folders,
    service,
    close: async () => {
      await service.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

export interface Reply {
  status: number;
  body: string;
  json: () => unknown;
  headers: Headers;
}

/** Sends a request and reads the whole reply. */
export async function call(
  url: string,
  init: Parameters<typeof fetch>[1] & { accept?: 'json' | 'text' } = {},
): Promise<Reply> {
  const headers = new Headers(init.headers);
  if (init.accept === 'json') headers.set('Accept', 'application/json');
  if (init.accept === 'text') headers.set('Accept', 'text/plain');
  const response = await fetch(url, { method: 'POST', ...init, headers });
  const body = await response.text();
  return {
    status: response.status,
    body,
    headers: response.headers,
    json: () => JSON.parse(body),
  };
}

/**
 * A copy throttled to last about ten seconds, so that a test can pause or
 * terminate it while it runs, acting as soon as it runs rather than after a sleep.
 */
export const SLOW_COPY = {
  sampleBytes: 1_500_000,
  rateLimit: 150_000,
  chunkBytes: 8 * 1024,
};

/** Runs `body` against a fresh service, which is closed afterwards whatever happens. */
export async function withService(
  options: TestServiceOptions,
  body: (service: TestService) => Promise<void>,
): Promise<void> {
  const service = await startTestService(options);
  try {
    await body(service);
  } finally {
    await service.close();
  }
}
