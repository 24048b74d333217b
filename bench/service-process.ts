// The service under test, run as `node dist/src/main.js` in a child process over
// its own folders, exactly as an operator would start it.
import { spawn, type ChildProcess } from 'node:child_process';
import { link, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { PROJECT_ROOT, SERVICE_MAIN } from './paths.js';

/** The settings a scenario varies; the rest stay at the service's defaults. */
export interface ServiceSettings {
  checksum?: 'sha256' | 'off';
  poolSize?: number;
  copiesPerThread?: number;
}

export interface ServiceFolders {
  source: string;
  uploads: string;
  downloads: string;
}

// The service's settings (README, Configuration): any of them set in the bench's
// own environment would silently change what is measured, so none is inherited.
const SERVICE_VARIABLES = [
  'PORT',
  'HOST',
  'SOURCE_DIR',
  'UPLOADS_DIR',
  'DOWNLOADS_DIR',
  'POOL_SIZE',
  'COPIES_PER_THREAD',
  'CHUNK_BYTES',
  'MAX_RECORD_BYTES',
  'RATE_LIMIT',
  'CHECKSUM',
  'SAMPLE_BYTES',
  'LOG_LEVEL',
];

const STARTUP_TIMEOUT_MS = 20_000;
// The service promises to exit within two seconds of SIGTERM; allow a little more.
const EXIT_GRACE_MS = 3_000;

// Every service still running, so an interrupted bench can stop them all.
const running = new Set<ServiceProcess>();

export class ServiceProcess {
  /** Warn and error log lines, and stderr: the report lists them as findings. */
  readonly problems: string[] = [];
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly folders: ServiceFolders,
    readonly settings: ServiceSettings,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /**
   * Starts a service over folders under `root`, with `sources` (name → path)
   * hard-linked into its source folder first, and waits for its address.
   */
  static async start(
    root: string,
    sources: Record<string, string>,
    settings: ServiceSettings = {},
  ): Promise<StartedService> {
    const folders = {
      source: join(root, 'source'),
      uploads: join(root, 'Uploads'),
      downloads: join(root, 'Downloads'),
    };
    await Promise.all(
      Object.values(folders).map((path) => mkdir(path, { recursive: true })),
    );
    // Linked before the start: the service writes a header-only dummy1.csv into
    // an empty source folder even with SAMPLE_BYTES=0, and a link would then fail.
    // Hard links copy no bytes and share the page cache with the original.
    await Promise.all(
      Object.entries(sources).map(([name, path]) =>
        link(path, join(folders.source, name)),
      ),
    );
    const child = spawn(process.execPath, [SERVICE_MAIN], {
      cwd: PROJECT_ROOT,
      env: serviceEnv(folders, settings),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const service = new ServiceProcess(child, folders, settings);
    running.add(service);
    try {
      const url = await service.listen();
      return Object.assign(service, { url });
    } catch (error) {
      await service.stop();
      throw error;
    }
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('the service process has no pid');
    return this.child.pid;
  }

  uploaded(name: string): string {
    return join(this.folders.uploads, name);
  }

  /** The partial file an upload writes until it completes. */
  partial(name: string): string {
    return join(this.folders.uploads, `${name}.part`);
  }

  /** SIGTERM, then SIGKILL if it has not exited in time; safe to call twice. */
  async stop(): Promise<void> {
    running.delete(this);
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const exited = await Promise.race([
      this.exited.then(() => true),
      delay(EXIT_GRACE_MS).then(() => false),
    ]);
    if (!exited) {
      this.problems.push(`did not exit within ${EXIT_GRACE_MS} ms of SIGTERM; killed`);
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }

  // Reads the JSON log lines for the whole life of the process: an unread pipe
  // fills up and pino's synchronous writes would then block the service.
  private listen(): Promise<string> {
    const { stdout, stderr } = this.child;
    if (!stdout || !stderr) throw new Error('the service was spawned without pipes');
    createInterface({ input: stderr }).on('line', (line) => this.problems.push(line));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the service printed no url in ${STARTUP_TIMEOUT_MS} ms`)),
        STARTUP_TIMEOUT_MS,
      );
      createInterface({ input: stdout }).on('line', (line) => {
        const entry = parseLogLine(line);
        if (entry.level >= 40) this.problems.push(line);
        if (entry.url) {
          clearTimeout(timer);
          resolve(entry.url);
        }
      });
      void this.exited.then(() => {
        clearTimeout(timer);
        const said = this.problems.join('\n');
        reject(new Error(`the service exited before listening: ${said}`));
      });
    });
  }
}

/** A service that is listening. */
export type StartedService = ServiceProcess & { readonly url: string };

/** Stops every service still running: for an interrupted or failed bench. */
export async function stopAllServices(): Promise<void> {
  await Promise.all([...running].map((service) => service.stop()));
}

function serviceEnv(
  folders: ServiceFolders,
  settings: ServiceSettings,
): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(
    ([name]) => !SERVICE_VARIABLES.includes(name),
  );
  const env: NodeJS.ProcessEnv = {
    ...Object.fromEntries(inherited),
    PORT: '0',
    HOST: '127.0.0.1',
    SOURCE_DIR: folders.source,
    UPLOADS_DIR: folders.uploads,
    DOWNLOADS_DIR: folders.downloads,
    SAMPLE_BYTES: '0',
    LOG_LEVEL: 'info',
    CHECKSUM: settings.checksum ?? 'sha256',
  };
  if (settings.poolSize !== undefined) env.POOL_SIZE = String(settings.poolSize);
  if (settings.copiesPerThread !== undefined) {
    env.COPIES_PER_THREAD = String(settings.copiesPerThread);
  }
  return env;
}

function parseLogLine(line: string): { level: number; url?: string } {
  try {
    const entry = JSON.parse(line) as { level?: number; url?: string };
    return { level: entry.level ?? 30, ...(entry.url ? { url: entry.url } : {}) };
  } catch {
    // Not JSON: something other than pino wrote to stdout, which is worth a look.
    return { level: 40 };
  }
}
