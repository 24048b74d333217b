import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import Koa from 'koa';
import bodyParser from 'koa-bodyparser';
import serve from 'koa-static';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { CopierPool } from './copier-pool.js';
import { logRequests, replyToErrors } from './http-replies.js';
import { seedRoutes } from './seed-routes.js';
import { TransferManager } from './transfer-manager.js';
import { transfersApi } from './transfers-api.js';

const STATIC_DIR = fileURLToPath(new URL('../../static/', import.meta.url));

/** A running service: its address, its transfers, and how to stop it. */
export interface Service {
  url: string;
  manager: TransferManager;
  pool: CopierPool;
  /** Pauses what runs, then closes the server and the copier threads. */
  close(): Promise<void>;
}

export interface ServiceParts {
  config: Config;
  logger: Logger;
  /** The copier script; tests swap in one that misbehaves. */
  copierUrl?: URL;
}

/** Builds the Koa app over a manager: logging, error replies, routes, the page. */
export function createApp(manager: TransferManager, parts: ServiceParts): Koa {
  const app = new Koa();
  app.use(logRequests(parts.logger));
  app.use(replyToErrors(parts.logger));
  app.use(bodyParser({ enableTypes: ['json'], jsonLimit: '16kb' }));
  for (const router of [
    seedRoutes(manager),
    transfersApi(manager, parts.config.folders),
  ]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  app.use(serve(STATIC_DIR));
  return app;
}

/** Starts the service on the configured host and port (0 picks a free port). */
export async function startService(parts: ServiceParts): Promise<Service> {
  const { config, logger } = parts;
  await Promise.all(
    Object.values(config.folders).map((folder) => mkdir(folder, { recursive: true })),
  );
  const pool = new CopierPool({
    threads: config.poolSize,
    copiesPerThread: config.copiesPerThread,
    logger,
    copierUrl: parts.copierUrl,
  });
  const manager = new TransferManager({
    folders: config.folders,
    pool,
    logger,
    copy: config.copy,
  });
  const app = createApp(manager, parts);
  const server = await listen(app, config.port, config.host);
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return {
    url: `http://${host}:${port}`,
    manager,
    pool,
    close: () => closeService(server, manager, pool),
  };
}

function listen(app: Koa, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.once('listening', () => resolve(server));
    server.once('error', reject);
  });
}

async function closeService(server: Server, manager: TransferManager, pool: CopierPool) {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Waiting requests get their "Paused" replies before the connections go.
  await manager.pauseAll();
  server.closeIdleConnections();
  // Replies just written get a moment to leave before lingering sockets are cut.
  const cut = setTimeout(() => server.closeAllConnections(), 250);
  await pool.close();
  await closed;
  clearTimeout(cut);
}
