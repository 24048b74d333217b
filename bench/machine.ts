// What the figures were measured on, for the header of results.md: the same
// code runs several times faster or slower on another machine.
import { execFile } from 'node:child_process';
import { cpus, release, totalmem } from 'node:os';
import { promisify } from 'node:util';

export interface MachineInfo {
  cpuModel: string;
  cpuCount: number;
  totalMemoryBytes: number;
  node: string;
  kernel: string;
  /** The file system type of the data folder, from `df -T`. */
  fileSystem: string;
  date: string;
}

export async function describeMachine(dataDir: string): Promise<MachineInfo> {
  const processors = cpus();
  return {
    cpuModel: processors[0]?.model.trim() ?? 'unknown',
    cpuCount: processors.length,
    totalMemoryBytes: totalmem(),
    node: process.version,
    kernel: release(),
    fileSystem: await fileSystemOf(dataDir),
    date: new Date().toISOString(),
  };
}

// `df -T dir` prints a header, then "device type size used avail use% mount".
async function fileSystemOf(dir: string): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)('df', ['-T', dir]);
    return stdout.trim().split('\n')[1]?.split(/\s+/)[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
