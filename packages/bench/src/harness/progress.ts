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
  return drawsBar(mode, stream) ? new BarProgress(stream) : new LineProgress(stream);
}

/** Whether `mode` draws a bar on `stream` ('auto': on a terminal outside CI). */
export function drawsBar(mode: ProgressMode, stream: NodeJS.WriteStream): boolean {
  return mode === 'bar' || (mode === 'auto' && stream.isTTY === true && !process.env.CI);
}

/**
 * One cli-progress bar on `stream` (the only place the bench draws one).
 * Lines logged while it shows are written above it.
 */
export class TerminalBar {
  private readonly multi: cliProgress.MultiBar;
  private readonly bar: cliProgress.SingleBar;

  /** `format` is cli-progress's; `payload` gives the starting value of each {name} in it beyond the built-in ones. */
  constructor(stream: NodeJS.WriteStream, format: string, total: number, payload: Record<string, string>, opts: { clearOnComplete: boolean; etaBuffer?: number }) {
    this.multi = new cliProgress.MultiBar(
      { stream, format, hideCursor: true, clearOnComplete: opts.clearOnComplete, ...(opts.etaBuffer === undefined ? {} : { etaBuffer: opts.etaBuffer }) },
      cliProgress.Presets.shades_classic,
    );
    this.bar = this.multi.create(total, 0, payload);
  }

  increment(payload: Record<string, string>): void {
    this.bar.increment(1, payload);
  }

  update(value: number, payload: Record<string, string>): void {
    this.bar.update(value, payload);
  }

  log(line: string): void {
    this.multi.log(`${line}\n`);
  }

  stop(): void {
    this.multi.stop();
  }
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
  private bar: TerminalBar | null = null;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  start(total: number, title: string): void {
    this.stop();
    this.bar = new TerminalBar(
      this.stream,
      `${title} {bar} {value}/{total} | {duration_formatted} (ETA {eta_formatted}) | {label}`,
      total,
      { label: 'starting' },
      { clearOnComplete: false, etaBuffer: 20 },
    );
  }

  tick(label: string): void {
    this.bar?.increment({ label });
  }

  log(line: string): void {
    if (this.bar) this.bar.log(line);
    else this.stream.write(`${line}\n`);
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
