import type { BpfMap } from '@rightsize/engine';
import type { RunSpec } from '../harness/measure.js';
import type { BenchResult, Cell, Goal, ParamValue } from '../report/bench-result.js';
import type { SuiteOptions } from './options.js';

/** One measured configuration: a program on `cpus` CPUs, repeated. */
export interface CellPlan {
  subject: string;
  role: Cell['role'];
  /** What the reports show and references are matched on (cpus included). */
  params: Record<string, ParamValue>;
  cpus: number;
  program: URL;
  loop: RunSpec['params'];
  /** Default 0: the loops call the map directly. */
  latencySampleEvery?: number;
  /** Keep the group's map resizing (grow, shrink, ...) during every repetition, from the agent. */
  resizing?: boolean;
}

/** The maps a group's cells run on, made and filled once for all of them. */
export interface GroupEnv {
  maps: Record<string, BpfMap>;
  close(): void | Promise<void>;
}

/** Cells sharing one map (or none: the references build theirs in the CPU). */
export interface GroupPlan {
  label: string;
  /**
   * Consecutive groups with the same key are measured side by side, their
   * repetitions interleaved (suites/runner.ts): set it to what the ratios
   * between them hold equal (entries and value size). Absent: alone.
   */
  sideBySide?: string;
  open(): GroupEnv | Promise<GroupEnv>;
  cells: CellPlan[];
}

export type SuiteName = 'maps' | 'arrays' | 'resize' | 'full';

export interface Suite {
  name: SuiteName;
  title: string;
  /** One line for --help. */
  description: string;
  defaults(quick: boolean, cores: number): SuiteOptions;
  plan(o: SuiteOptions): GroupPlan[];
  /** Params (besides cpus) a map cell and its reference cell must share for a ratio. */
  matchOn: string[];
  /** Figures derived from a finished cell (beyond the generic ones). */
  notes?(cell: Cell): Record<string, number | string | null>;
  goals(cells: Cell[], o: SuiteOptions): Goal[];
  /** The report; `chartFile` names a chart's SVG file, or null when charts are not written (then no image is linked). */
  markdown(r: BenchResult, chartFile: (name: string) => string | null): string;
  charts(r: BenchResult): Promise<Record<string, string>>;
}

export function cellId(subject: string, params: Record<string, ParamValue>): string {
  return `${subject} | ${Object.entries(params)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')}`;
}
