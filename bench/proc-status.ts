// Memory and threads of the service, read from /proc/<pid>/status (Linux only):
// VmRSS is resident memory now, VmHWM its peak so far, Threads every thread of
// the process, worker threads and libuv's pool included.
import { readFile } from 'node:fs/promises';

export interface ProcStatus {
  rssBytes: number;
  peakRssBytes: number;
  threads: number;
}

export async function readProcStatus(pid: number): Promise<ProcStatus> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  return {
    rssBytes: field(text, 'VmRSS') * 1024,
    peakRssBytes: field(text, 'VmHWM') * 1024,
    threads: field(text, 'Threads'),
  };
}

// Lines look like "VmRSS:\t   53412 kB" or "Threads:\t11".
function field(text: string, name: string): number {
  const match = new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text);
  if (!match) throw new Error(`/proc status has no ${name} line`);
  return Number(match[1]);
}

/** Reads the status every `everyMs` until stopped; a read in flight is not doubled. */
export class ProcSampler {
  private readonly samples: ProcStatus[] = [];
  private timer: NodeJS.Timeout | null = null;
  private reading: Promise<void> | null = null;

  constructor(
    private readonly pid: number,
    private readonly everyMs = 50,
  ) {}

  start(): this {
    this.timer = setInterval(() => this.sample(), this.everyMs);
    this.sample();
    return this;
  }

  async stop(): Promise<ProcStatus[]> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.reading;
    return this.samples;
  }

  private sample(): void {
    if (this.reading) return;
    this.reading = readProcStatus(this.pid)
      .then((status) => void this.samples.push(status))
      // The process may exit between two samples; the samples so far stand.
      .catch(() => undefined)
      .finally(() => (this.reading = null));
  }
}
