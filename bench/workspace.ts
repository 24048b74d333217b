// Scratch folders for one bench run, under bench/data/ so that every copy goes
// from that disk to the same disk, as the service's copies do in production.
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { remove } from './files.js';
import { DATA_DIR } from './paths.js';

/** This run's scratch folder; everything in it goes when the run ends. */
export class Workspace {
  readonly root = join(DATA_DIR, `work-${process.pid}`);

  /** A fresh, empty folder for one scenario. */
  async folder(name: string): Promise<string> {
    const path = join(this.root, name);
    await remove(path);
    await mkdir(path, { recursive: true });
    return path;
  }

  async removeAll(): Promise<void> {
    await remove(this.root);
  }
}

/**
 * Removes what earlier runs left when they died without cleaning up: their
 * scratch folders (work-<pid>) and half-built inputs (*.part-<pid>). Only those
 * of processes that are gone: a bench still running keeps its files.
 */
export async function removeStaleWorkspaces(): Promise<string[]> {
  const entries = await readdir(DATA_DIR).catch(() => []);
  const stale = entries.filter((name) => {
    const pid = Number(/^work-(\d+)$|\.part-(\d+)$/.exec(name)?.slice(1).find(Boolean));
    return Number.isInteger(pid) && pid !== process.pid && !isAlive(pid);
  });
  await Promise.all(stale.map((name) => remove(join(DATA_DIR, name))));
  return stale;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else, so it is alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
