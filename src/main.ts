import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from './config.js';
import { writeSampleCsv } from './sample-csv.js';
import { DEFAULT_FILE } from './seed-routes.js';
import { startService } from './service.js';

// How long shutdown may take before the process exits regardless.
const SHUTDOWN_DEADLINE_MS = 2000;

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = pino({ level: config.logLevel });
  const service = await startService({ config, logger });
  logger.info(
    { url: service.url, folders: config.folders },
    `listening on ${service.url}`,
  );
  await ensureSample(config.folders.source, config.sampleBytes, logger);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: pausing transfers');
    setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS).unref();
    service.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

// A fresh clone has no sample to copy; make one big enough to watch it move.
async function ensureSample(folder: string, bytes: number, logger: pino.Logger) {
  if (bytes === 0) return;
  const path = join(folder, DEFAULT_FILE);
  const exists = await access(path).then(
    () => true,
    () => false,
  );
  if (exists) return;
  const started = performance.now();
  const written = await writeSampleCsv(path, { bytes });
  const seconds = Number(((performance.now() - started) / 1000).toFixed(2));
  logger.info({ path, ...written, seconds }, 'generated a sample CSV to transfer');
}

main().catch((err: unknown) => {
  // Before the logger exists (a bad setting, say) there is only stderr.
  process.stderr.write(`csv-transfer could not start: ${String(err)}\n`);
  process.exit(1);
});
