import cliProgress from 'cli-progress';

/** Progress of a long run: units of work (repetitions) done out of a total known up front. */
export interface Progress {
  start(total: number, title: string): void;
  /** One unit done; `label` says which. */
  tick(label: string): void;
  /** A line of information (kept above the bar in a terminal). */
  log(line: string): void;
  stop(): void;
}

export type ProgressMode = 'auto' | 'bar' | 'plain' | 'silent';

/**
 * 'auto' draws a bar on a terminal and prints plain lines otherwise (a pipe,
 * a log file, CI, where a redrawn bar would be noise).
 */
export function createProgress(mode: ProgressMode = 'auto', stream: NodeJS.WriteStream = process.stderr): Progress {
  if (mode === 'silent') return silentProgress;
  const bar = mode === 'bar' || (mode === 'auto' && stream.isTTY === true && !process.env.CI);
  return bar ? new BarProgress(stream) : new LineProgress(stream);
}

/** Reports nothing (tests, library use). */
export const silentProgress: Progress = {
  start() {},
  tick() {},
  log() {},
  stop() {},
};

class LineProgress implements Progress {
  private done = 0;
  private total = 0;
  private t0 = 0;

  constructor(private readonly stream: NodeJS.WritableStream) {}

  start(total: number, title: string): void {
    this.done = 0;
    this.total = total;
    this.t0 = performance.now();
    this.stream.write(`${title}: ${total} measurements\n`);
  }

  tick(label: string): void {
    this.done++;
    const s = ((performance.now() - this.t0) / 1000).toFixed(0);
    this.stream.write(`[${this.done}/${this.total} ${s}s] ${label}\n`);
  }

  log(line: string): void {
    this.stream.write(`${line}\n`);
  }

  stop(): void {}
}

class BarProgress implements Progress {
  private multi: cliProgress.MultiBar | null = null;
  private bar: cliProgress.SingleBar | null = null;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  start(total: number, title: string): void {
    this.stop();
    this.multi = new cliProgress.MultiBar(
      {
        stream: this.stream,
        format: `${title} {bar} {value}/{total} | {duration_formatted} (ETA {eta_formatted}) | {label}`,
        hideCursor: true,
        clearOnComplete: false,
        etaBuffer: 20,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar = this.multi.create(total, 0, { label: 'starting' });
  }

  tick(label: string): void {
    this.bar?.increment(1, { label });
  }

  log(line: string): void {
    if (this.multi) this.multi.log(`${line}\n`);
    else this.stream.write(`${line}\n`);
  }

  stop(): void {
    this.multi?.stop();
    this.multi = null;
    this.bar = null;
  }
}
