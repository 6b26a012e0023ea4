export interface Column {
  header: string;
  align?: 'left' | 'right' | 'center';
}

export type CellValue = string | number | null | undefined;

/** Table cells may not hold a pipe or a line break. */
function escapeCell(v: CellValue): string {
  if (v === null || v === undefined) return '–';
  return String(v).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/**
 * A GitHub-flavoured Markdown table, columns padded so that it also reads
 * well printed to a terminal. Numbers align right unless told otherwise.
 */
export function markdownTable(columns: (string | Column)[], rows: CellValue[][]): string {
  const cols: Column[] = columns.map((c) => (typeof c === 'string' ? { header: c } : c));
  if (cols.length === 0) throw new RangeError('a table needs at least one column');
  rows.forEach((r, i) => {
    if (r.length !== cols.length) throw new RangeError(`row ${i} has ${r.length} cells, the table ${cols.length} columns`);
  });
  const text = rows.map((r) => r.map(escapeCell));
  const header = cols.map((c) => escapeCell(c.header));
  const align = cols.map((c, i) => c.align ?? (rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || r[i] === null) ? 'right' : 'left'));
  const width = cols.map((_, i) => Math.max(3, header[i]!.length, ...text.map((r) => r[i]!.length)));
  const pad = (s: string, i: number): string =>
    align[i] === 'right' ? s.padStart(width[i]!) : align[i] === 'center' ? s.padStart((width[i]! + s.length) >> 1).padEnd(width[i]!) : s.padEnd(width[i]!);
  const rule = align.map((a, i) => {
    const w = width[i]!;
    if (a === 'right') return `${'-'.repeat(w - 1)}:`;
    if (a === 'center') return `:${'-'.repeat(w - 2)}:`;
    return '-'.repeat(w);
  });
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header.map(pad)), line(rule), ...text.map((r) => line(r.map(pad)))].join('\n');
}

/** A Markdown heading plus paragraphs, joined with blank lines. */
export function section(title: string, level: number, ...blocks: string[]): string {
  return [`${'#'.repeat(level)} ${title}`, ...blocks.filter((b) => b.length > 0)].join('\n\n');
}
