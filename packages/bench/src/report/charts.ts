import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** A data row of a chart: field name -> value. */
export type Datum = Record<string, string | number | boolean | null>;

interface ChartBase {
  title: string;
  data: Datum[];
  /** The measured field (quantitative, vertical). */
  y: string;
  yTitle?: string;
  yScale?: 'linear' | 'log';
  /** Series field: one colour per value. */
  color?: string;
  colorTitle?: string;
  /** Order of the colour domain (default: as the values first appear). */
  colorOrder?: string[];
  /** Small multiples: one panel per value of this field, side by side. */
  column?: string;
  columnTitle?: string;
  /** One panel's width and height in pixels. */
  width?: number;
  height?: number;
}

export interface BarChartSpec extends ChartBase {
  /** The category field along the horizontal axis. */
  x: string;
  xTitle?: string;
  /** Order of the categories (default: as they first appear). */
  xOrder?: string[];
  /** Bars side by side within a category, one per value of this field (grouped bars). */
  group?: string;
  /** Whisker fields (e.g. min and max of the repetitions) drawn over each bar. */
  errorLow?: string;
  errorHigh?: string;
}

export interface LineChartSpec extends ChartBase {
  x: string;
  xTitle?: string;
  /** 'quantitative' for numbers (CPUs, time), 'ordinal' for ordered labels. */
  xType?: 'quantitative' | 'ordinal';
  /** Draw a point at each datum. Default true. */
  points?: boolean;
}

function firstSeen(data: Datum[], field: string): string[] {
  const seen: string[] = [];
  for (const d of data) {
    const v = String(d[field]);
    if (!seen.includes(v)) seen.push(v);
  }
  return seen;
}

/**
 * Compiles a Vega-Lite spec and renders it to an SVG string with Vega's
 * headless renderer (no browser, no canvas: text is measured by Vega's own
 * estimate). Any other chart a report needs can be drawn through this.
 */
export async function renderVegaLite(spec: TopLevelSpec): Promise<string> {
  const compiled = compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Grouped bars: one bar per (x, group), e.g. ops/s per map type and CPU
 * count, as the talk's slides drew them; optional whiskers show the spread;
 * optional panels (column) repeat the chart per mixer or value size.
 */
export async function barChartSvg(c: BarChartSpec): Promise<string> {
  if (c.data.length === 0) throw new RangeError(`chart "${c.title}": no data`);
  const xSort = c.xOrder ?? firstSeen(c.data, c.x);
  const colorField = c.color ?? c.group;
  const colorSort = c.colorOrder ?? (colorField ? firstSeen(c.data, colorField) : undefined);
  const x = { field: c.x, type: 'nominal' as const, sort: xSort, title: c.xTitle ?? c.x, axis: { labelAngle: -35, labelLimit: 240 } };
  const y = { field: c.y, type: 'quantitative' as const, title: c.yTitle ?? c.y, scale: { type: c.yScale ?? 'linear' } };
  const layers: Record<string, unknown>[] = [
    {
      mark: { type: 'bar' },
      encoding: {
        x,
        y,
        ...(c.group ? { xOffset: { field: c.group, type: 'nominal', sort: colorSort } } : {}),
        ...(colorField ? { color: { field: colorField, type: 'nominal', sort: colorSort, title: c.colorTitle ?? colorField, legend: { labelLimit: 240 } } } : {}),
        tooltip: [{ field: c.x }, { field: c.y }],
      },
    },
  ];
  if (c.errorLow && c.errorHigh) {
    layers.push({
      mark: { type: 'rule', color: 'black', opacity: 0.6 },
      encoding: {
        x,
        ...(c.group ? { xOffset: { field: c.group, type: 'nominal', sort: colorSort } } : {}),
        y: { field: c.errorLow, type: 'quantitative', scale: { type: c.yScale ?? 'linear' } },
        y2: { field: c.errorHigh },
      },
    });
  }
  return renderVegaLite(withPanels(c, { layer: layers }));
}

/** Lines: one per colour value over x (e.g. ops/s over CPUs per map type, bytes over time per strategy). */
export async function lineChartSvg(c: LineChartSpec): Promise<string> {
  if (c.data.length === 0) throw new RangeError(`chart "${c.title}": no data`);
  const colorSort = c.colorOrder ?? (c.color ? firstSeen(c.data, c.color) : undefined);
  const xType = c.xType ?? 'quantitative';
  const inner = {
    mark: { type: 'line', point: c.points ?? true },
    encoding: {
      x: { field: c.x, type: xType, title: c.xTitle ?? c.x, ...(xType === 'quantitative' ? { axis: { tickMinStep: 1 } } : {}) },
      y: { field: c.y, type: 'quantitative', title: c.yTitle ?? c.y, scale: { type: c.yScale ?? 'linear' } },
      ...(c.color ? { color: { field: c.color, type: 'nominal', sort: colorSort, title: c.colorTitle ?? c.color, legend: { labelLimit: 240 } } } : {}),
      tooltip: [{ field: c.x }, { field: c.y }],
    },
  };
  return renderVegaLite(withPanels(c, inner));
}

function withPanels(c: ChartBase, inner: Record<string, unknown>): TopLevelSpec {
  const size = { width: c.width ?? 360, height: c.height ?? 240 };
  const base = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', title: c.title, data: { values: c.data }, background: 'white' };
  if (c.column) {
    return {
      ...base,
      facet: { column: { field: c.column, type: 'nominal', sort: firstSeen(c.data, c.column), title: c.columnTitle ?? c.column } },
      spec: { ...size, ...inner },
      resolve: { scale: { y: 'shared' } },
    } as unknown as TopLevelSpec;
  }
  return { ...base, ...size, ...inner } as unknown as TopLevelSpec;
}
