import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';

const MiB = 1 << 20;

// Each setting: its environment variable, its command-line flag (the same name in
// kebab case) and its default.
const SETTINGS = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  SOURCE_DIR: z.string().min(1).default('./data'),
  UPLOADS_DIR: z.string().min(1).default('./Uploads'),
  DOWNLOADS_DIR: z.string().min(1).default('./Downloads'),
  POOL_SIZE: z.coerce.number().int().min(1).max(64).default(availableParallelism()),
  COPIES_PER_THREAD: z.coerce.number().int().min(1).max(256).default(4),
  CHUNK_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(256 * MiB)
    .default(MiB),
  MAX_RECORD_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(64 * MiB),
  RATE_LIMIT: z.coerce.number().int().min(0).default(0),
  CHECKSUM: z.enum(['sha256', 'off']).default('sha256'),
  SAMPLE_BYTES: z.coerce.number().int().min(0).default(200_000_000),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info'),
});

export type Settings = z.infer<typeof SETTINGS>;

/** The service's configuration, with folders made absolute. */
export interface Config {
  port: number;
  host: string;
  folders: { source: string; uploads: string; downloads: string };
  poolSize: number;
  copiesPerThread: number;
  copy: {
    chunkBytes: number;
    maxRecordBytes: number;
    rateLimit: number;
    checksum: boolean;
  };
  sampleBytes: number;
  logLevel: Settings['LOG_LEVEL'];
}

const flagName = (key: string) => key.toLowerCase().replaceAll('_', '-');

/** Reads settings from flags first, then the environment, then the defaults. */
export function loadConfig(
  argv: string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): Config {
  const keys = Object.keys(SETTINGS.shape);
  const options = Object.fromEntries(
    keys.map((key) => [flagName(key), { type: 'string' as const }]),
  );
  const { values } = parseArgs({ args: argv, options, strict: true });
  const raw: Record<string, unknown> = {};
  for (const key of keys) raw[key] = values[flagName(key)] ?? emptyToUndefined(env[key]);

  const parsed = SETTINGS.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) =>
        `${issue.path.join('.')} (--${flagName(String(issue.path[0]))}): ${issue.message}`,
    );
    throw new Error(`invalid configuration: ${problems.join('; ')}`);
  }
  return fromSettings(parsed.data);
}

function fromSettings(s: Settings): Config {
  return {
    port: s.PORT,
    host: s.HOST,
    folders: {
      source: resolve(s.SOURCE_DIR),
      uploads: resolve(s.UPLOADS_DIR),
      downloads: resolve(s.DOWNLOADS_DIR),
    },
    poolSize: s.POOL_SIZE,
    copiesPerThread: s.COPIES_PER_THREAD,
    copy: {
      chunkBytes: s.CHUNK_BYTES,
      maxRecordBytes: s.MAX_RECORD_BYTES,
      rateLimit: s.RATE_LIMIT,
      checksum: s.CHECKSUM === 'sha256',
    },
    sampleBytes: s.SAMPLE_BYTES,
    logLevel: s.LOG_LEVEL,
  };
}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}
