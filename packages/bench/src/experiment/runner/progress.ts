import { formatBytes, formatInt } from '../../report/format.js';
import { TerminalBar, drawsBar, type ProgressMode } from '../../harness/progress.js';
import type { ExperimentEvent } from './experiment.js';

/** Shows the experiment as it goes: one bar per strategy on a terminal, plain lines elsewhere. */
export interface ExperimentProgress {
  onEvent(e: ExperimentEvent): void;
  stop(): void;
}

export function experimentProgress(mode: ProgressMode = 'auto', stream: NodeJS.WriteStream = process.stderr): ExperimentProgress {
  if (mode === 'silent') return { onEvent() {}, stop() {} };
  return drawsBar(mode, stream) ? new BarDisplay(stream) : new LineDisplay(stream);
}

function doneLine(e: Extract<ExperimentEvent, { kind: 'strategy-end' }>): string {
  const s = e.summary;
  const pps = s.packetsPerSecPerCpu.map((p) => `${(p / 1e3).toFixed(0)}k`).join('/');
  return `${s.id}: refused ${formatInt(s.flowsRefused)}, broken ${formatInt(s.flowsBroken)}, memory peak ${formatBytes(s.peakBytes)} mean ${formatBytes(s.meanBytes)}, ${pps} packets/s per CPU, ${(e.run.elapsedNs / 1e9).toFixed(1)} s`;
}

function warmupLine(e: Extract<ExperimentEvent, { kind: 'warmup' }>): string {
  return `warm-up: an untimed pass of each of the ${e.strategies} strategies (${formatInt(e.packetsPerCpu)} packets per CPU)`;
}

function workloadLine(e: Extract<ExperimentEvent, { kind: 'workload' }>): string {
  const w = e.workload;
  const flows = w.figures.reduce((a, p) => a + p.newFlows, 0);
  return `workload ${w.scenario.name}: ${formatInt(flows)} flows, ${formatInt(w.packetsPerCpu)} packets on each of ${w.nCpus} CPUs, ${w.ticks} ticks (generated in ${e.ms.toFixed(0)} ms)`;
}

class LineDisplay implements ExperimentProgress {
  private nextQuarter = 1;
  constructor(private readonly stream: NodeJS.WritableStream) {}

  onEvent(e: ExperimentEvent): void {
    switch (e.kind) {
      case 'workload':
        this.stream.write(`${workloadLine(e)}\n`);
        break;
      case 'warmup':
        this.stream.write(`${warmupLine(e)}\n`);
        break;
      case 'strategy-start':
        this.nextQuarter = 1;
        this.stream.write(`[${e.index + 1}/${e.of}] ${e.id}: ${e.label}\n`);
        break;
      case 'progress':
        // A line at each quarter of the workload: enough to see it move in a log.
        if (e.progress.tick >= (e.ticks * this.nextQuarter) / 4 && this.nextQuarter < 4) {
          this.stream.write(`      ${this.nextQuarter * 25}%: refused ${formatInt(e.progress.totals.flowsRefused)}, broken ${formatInt(e.progress.totals.flowsBroken)}\n`);
          this.nextQuarter++;
        }
        break;
      case 'strategy-end':
        this.stream.write(`      ${doneLine(e)}\n`);
        break;
    }
  }

  stop(): void {}
}

class BarDisplay implements ExperimentProgress {
  private bar: TerminalBar | null = null;
  constructor(private readonly stream: NodeJS.WriteStream) {}

  onEvent(e: ExperimentEvent): void {
    switch (e.kind) {
      case 'workload':
        this.stream.write(`${workloadLine(e)}\n`);
        break;
      case 'warmup':
        this.stream.write(`${warmupLine(e)}\n`);
        break;
      case 'strategy-start':
        this.stop();
        this.bar = new TerminalBar(
          this.stream,
          `[${e.index + 1}/${e.of}] ${e.id.padEnd(16)} {bar} {percent}% | refused {refused} broken {broken} | {duration_formatted}`,
          100,
          { refused: '0', broken: '0' },
          { clearOnComplete: true },
        );
        break;
      case 'progress':
        this.bar?.update(Math.min(100, Math.floor((100 * e.progress.tick) / e.ticks)), {
          refused: formatInt(e.progress.totals.flowsRefused),
          broken: formatInt(e.progress.totals.flowsBroken),
        });
        break;
      case 'strategy-end':
        this.stop();
        this.stream.write(`${doneLine(e)}\n`);
        break;
    }
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
