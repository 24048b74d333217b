import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { InvalidInput } from './errors.js';
import { TRANSFER_EXTENSIONS } from './file-names.js';
import type { TransferState } from './transfer.js';
import type { Folders, TransferManager } from './transfer-manager.js';

const STATES = [
  'queued',
  'running',
  'paused',
  'completed',
  'terminated',
  'failed',
] as const;

const NEW_TRANSFER = z.strictObject({
  direction: z.enum(['upload', 'download']),
  file: z.string(),
  delimiter: z.string().optional(),
});

/** The transfers API under /api; the seed's routes are a thin layer over the same manager. */
export function transfersApi(manager: TransferManager, folders: Folders): Router {
  const router = new Router({ prefix: '/api' });

  router.post('/transfers', async (ctx) => {
    const request = parseBody(ctx, NEW_TRANSFER);
    const transfer = await manager.create(request);
    ctx.status = 201;
    ctx.set('Location', `/api/transfers/${transfer.id}`);
    ctx.body = transfer.view();
  });

  router.get('/transfers', (ctx) => {
    const state = parseState(ctx.query.state);
    ctx.body = { transfers: manager.list(state).map((transfer) => transfer.view()) };
  });

  router.get('/transfers/:id', (ctx) => {
    ctx.body = manager.get(ctx.params.id ?? '').view();
  });

  const moves = { pause: 'pause', resume: 'resume', terminate: 'terminate' } as const;
  for (const move of Object.values(moves)) {
    router.post(`/transfers/:id/${move}`, async (ctx) => {
      ctx.body = (await manager[move](ctx.params.id ?? '')).view();
    });
  }

  router.get('/files', async (ctx) => {
    const [source, uploads, downloads] = await Promise.all(
      [folders.source, folders.uploads, folders.downloads].map(listCsvFiles),
    );
    ctx.body = { source, uploads, downloads };
  });

  return router;
}

function parseBody<T>(ctx: Context, schema: z.ZodType<T>): T {
  const body = (ctx.request as { body?: unknown }).body;
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.join('.') : 'body';
    return `${field}: ${issue.message}`;
  });
  throw new InvalidInput(
    'INVALID_BODY',
    `invalid transfer request: ${problems.join('; ')}`,
  );
}

function parseState(state: unknown): TransferState | undefined {
  if (state === undefined) return undefined;
  if (typeof state === 'string' && (STATES as readonly string[]).includes(state)) {
    return state as TransferState;
  }
  throw new InvalidInput(
    'INVALID_STATE',
    `state must be one of ${STATES.join(', ')}, got ${JSON.stringify(state)}`,
  );
}

/** The finished transfer files in a folder, with their sizes; partial files are left out. */
async function listCsvFiles(
  folder: string,
): Promise<Array<{ name: string; bytes: number }>> {
  const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
  const files = entries.filter(
    (entry) =>
      entry.isFile() &&
      TRANSFER_EXTENSIONS.some((extension) =>
        entry.name.toLowerCase().endsWith(extension),
      ),
  );
  const sized = await Promise.all(
    files.map(async (entry) => {
      const stats = await stat(join(folder, entry.name)).catch(() => null);
      return stats ? { name: entry.name, bytes: stats.size } : null;
    }),
  );
  return sized
    .filter((file) => file !== null)
    .sort((a, b) => a.name.localeCompare(b.name));
}
