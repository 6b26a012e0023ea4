import { formatBytes, formatInt, formatPercent, formatRate } from '../../report/format.js';
import { markdownTable, section } from '../../report/markdown.js';
import { RESIZE_START_BUCKETS } from '../strategies/strategies.js';
import type { ExperimentReport } from './result.js';

/** A count with its share of `of`: "212,449 (48%)"; a bare "0" for none. */
function share(n: number, of: number): string {
  return n === 0 || of === 0 ? formatInt(n) : `${formatInt(n)} (${formatPercent(n / of)})`;
}

/** The table every run prints: what each strategy refused, broke and held. */
export function summaryTable(r: ExperimentReport): string {
  return markdownTable(
    [
      'strategy',
      { header: 'new flows refused', align: 'right' },
      { header: 'flows broken', align: 'right' },
      { header: 'refused / broken in burst', align: 'right' },
      { header: 'memory peak', align: 'right' },
      { header: 'mean', align: 'right' },
      { header: 'at burst end', align: 'right' },
      { header: 'after burst', align: 'right' },
      { header: 'grows / shrinks', align: 'right' },
      { header: 'EBUSY', align: 'right' },
      { header: 'packets/s per CPU', align: 'right' },
    ],
    r.strategies.map((s) => {
      const x = s.summary;
      return [
        s.id,
        share(x.flowsRefused, x.newFlows),
        share(x.flowsBroken, x.newFlows),
        `${formatInt(x.burstRefused)} / ${formatInt(x.burstBroken)}`,
        formatBytes(x.peakBytes),
        formatBytes(x.meanBytes),
        formatBytes(x.bytesAtBurstEnd),
        formatBytes(x.meanBytesAfterBurst),
        `${x.grows} / ${x.shrinks}`,
        formatInt(x.ebusy),
        x.packetsPerSecPerCpu.map((p) => formatRate(p)).join(' · '),
      ];
    }),
  );
}

/** Why: refusals by errno, lost refreshes and what they cost, evictions, the collector, the accounting check. */
export function causesTable(r: ExperimentReport): string {
  return markdownTable(
    [
      'strategy',
      { header: 'refused: E2BIG · EBUSY · ENOMEM · overflow full', align: 'right' },
      { header: 'refreshes lost', align: 'right' },
      { header: 'broken after a lost refresh', align: 'right' },
      { header: 'closes leaked', align: 'right' },
      { header: 'into overflow', align: 'right' },
      { header: 'LRU evictions', align: 'right' },
      { header: 'GC expired', align: 'right' },
      { header: 'peak entries', align: 'right' },
      { header: 'accounting exact', align: 'center' },
    ],
    r.strategies.map((s) => {
      const x = s.summary;
      const e = x.refusedByErrno;
      return [
        s.id,
        [e.E2BIG, e.EBUSY, e.ENOMEM, e.overflowFull].map(formatInt).join(' · ') + (e.other > 0 ? ` (+${formatInt(e.other)} other)` : ''),
        formatInt(x.refreshLost),
        formatInt(x.flowsBrokenStale),
        formatInt(x.closeLeaked),
        formatInt(x.overflowAdmitted),
        formatInt(x.evictions),
        formatInt(x.gcExpired),
        formatInt(x.peakEntries),
        x.accountingExact ? 'yes' : 'NO',
      ];
    }),
  );
}

/**
 * Resize dynamics (issue 17), for the hash_resize strategies: resizes,
 * -EBUSY, refused, broken, mean and peak memory, time resizing, decisions
 * logged, the runtime bound, and the agent's walks (keys present throughout
 * that a walk skipped, keys repeated). Empty when no strategy is hash_resize.
 */
export function dynamicsTable(r: ExperimentReport): string {
  const rows = r.strategies.filter((s) => s.summary.timeResizingMs !== null && s.summary.timeResizingMs !== undefined);
  if (rows.length === 0) return '';
  const walked = rows.some((s) => s.summary.walks);
  const bounded = rows.some((s) => s.summary.boundRaises !== null);
  const walkCell = (w: { walks: number; completed: number; skipped: number; walksWithSkips: number; repeated: number; meanMs: number } | undefined): string =>
    w ? `${w.completed}/${w.walks} · ${formatInt(w.skipped)} (${w.walksWithSkips} walks) · ${formatInt(w.repeated)} · ${w.meanMs.toFixed(0)} ms` : '';
  return markdownTable(
    [
      'strategy',
      'controller',
      { header: 'resizes', align: 'right' },
      { header: 'EBUSY', align: 'right' },
      { header: 'refused', align: 'right' },
      { header: 'broken', align: 'right' },
      { header: 'memory mean', align: 'right' },
      { header: 'peak', align: 'right' },
      { header: 'time resizing', align: 'right' },
      { header: 'decisions', align: 'right' },
      ...(bounded ? [{ header: 'bound raises → final', align: 'right' as const }] : []),
      ...(walked
        ? [
            { header: 'stable walks: done · skipped · repeated · mean', align: 'right' as const },
            { header: 'best-effort walks: done · skipped · repeated · mean', align: 'right' as const },
          ]
        : []),
    ],
    rows.map((s) => {
      const x = s.summary;
      return [
        s.id,
        String(s.dynamics?.controller ?? ''),
        formatInt(x.grows + x.shrinks),
        formatInt(x.ebusy),
        formatInt(x.flowsRefused),
        formatInt(x.flowsBroken),
        formatBytes(x.meanBytes),
        formatBytes(x.peakBytes),
        `${(x.timeResizingMs ?? 0).toFixed(1)} ms`,
        formatInt(x.decisionsLogged ?? 0),
        ...(bounded ? [x.boundRaises === null ? '' : `${x.boundRaises} → ${formatInt(x.finalBound ?? 0)}`] : []),
        ...(walked ? [walkCell(x.walks?.stable), walkCell(x.walks?.['best-effort'])] : []),
      ];
    }),
  );
}

/** What the dynamics table's columns mean, and the runtime bound's reference (a HASH sized for the ceiling). */
function dynamicsNotes(r: ExperimentReport): string {
  const notes: string[] = [];
  if (r.strategies.some((s) => s.summary.walks)) {
    notes.push('Walks: done/made · marker keys (present for the whole walk) skipped, summed (walks with a skip) · keys returned more than once, summed · mean duration.');
  }
  for (const s of r.strategies) {
    const b = s.dynamics?.bound;
    if (!b) continue;
    notes.push(
      `\`${s.id}\`: bound ${formatInt(b.initial)} raised by the agent to ${formatInt(b.final)}; peak ${formatBytes(s.summary.peakBytes)} = ${(s.summary.peakBytes / b.hashForCeilingBytes).toFixed(4)}x the ${formatBytes(b.hashForCeilingBytes)} a HASH sized for ${formatInt(b.ceiling)} entries preallocates.`,
    );
  }
  return notes.join('\n\n');
}

/** Flows refused and broken, phase by phase. */
export function phaseTable(r: ExperimentReport): string {
  const phases = r.workload.phases.map((p) => p.name);
  return markdownTable(
    ['strategy', ...phases.map((p) => ({ header: `${p}: refused / broken`, align: 'right' as const }))],
    r.strategies.map((s) => [s.id, ...s.byPhase.map((c) => `${formatInt(c.flowsRefused)} / ${formatInt(c.flowsBroken)}`)]),
  );
}

export function workloadTable(r: ExperimentReport): string {
  return markdownTable(
    [
      'phase',
      { header: 'ticks', align: 'right' },
      { header: 'new flows / tick', align: 'right' },
      { header: 'new flows', align: 'right' },
      { header: 'packets', align: 'right' },
      { header: 'peak open flows', align: 'right' },
      { header: 'peak entries to hold', align: 'right' },
      { header: 'with the collector late', align: 'right' },
    ],
    r.workload.phases.map((p, i) => [
      p.name + (p.name === r.scenario.burstPhase && !/burst/i.test(p.name) ? ' (the burst)' : ''),
      `${p.startTick}..${p.endTick}`,
      String(r.scenario.phases[i]!.newFlowsPerTick),
      formatInt(p.newFlows),
      formatInt(p.packets),
      formatInt(p.peakOpen),
      formatInt(p.peakMustHold),
      formatInt(p.peakWithGcLag),
    ]),
  );
}

/** What each strategy is, with the sizes of its maps. */
export function strategyList(r: ExperimentReport): string {
  return r.strategies
    .map((s) => {
      const m = s.maps.main;
      const o = s.maps.overflow;
      return `- \`${s.id}\`: ${s.label} (${m.type}, maxEntries ${formatInt(m.maxEntries)}${o ? `; overflow ${o.type} of ${formatInt(o.maxEntries)}` : ''})`;
    })
    .join('\n');
}

/** The whole Markdown report; `chart(name)` gives a chart's file name, or null when charts were not written. */
export function experimentMarkdown(r: ExperimentReport, chart: (name: string) => string | null): string {
  const s = r.scenario;
  const z = s.sizing;
  const header = [
    `${s.description} Scenario \`${s.name}\` (${s.kind}), seed ${s.seed}, ${r.cpus} CPUs, ${formatInt(r.workload.packetsPerCpu)} packets per CPU.`,
    `\`${r.command}\` on ${r.machine.cpuModel} (${r.machine.cores} cores, load ${r.machine.loadAverage.join(' ')}), Node ${r.machine.nodeVersion}, ${r.createdAt}, ${(r.wallMs / 1000).toFixed(1)} s.`,
    `Sizes: normal ${formatInt(z.normal)} entries; worst case ${formatInt(z.worstCase)} (${s.bound ? `the reference; hash_resize's bound starts at ${formatInt(s.bound.initial)}, raised at runtime, no ceiling` : "also hash_resize's bound"}); hash_resize starts at its minimum table of ${RESIZE_START_BUCKETS} buckets` +
      ` (driver ${s.resize.driver}, grow at ${s.resize.growAt}, shrink below ${s.resize.shrinkAt})` +
      (s.strategies.includes('resize-overflow') ? `; overflow LRU ${formatInt(z.overflow)} entries.` : '.') +
      (s.gc ? ` The collector expires entries idle for more than ${s.gc.idleTimeoutTicks} ticks, sweeping every ${s.gc.everyTicks} ticks.` : ''),
  ].join('\n');
  const charts = ['memory', 'entries', 'drops', 'outcomes', 'buckets', 'bound', 'walks']
    .map((n) => [n, chart(n)] as const)
    .filter((x): x is readonly [string, string] => x[1] !== null)
    .map(([n, f]) => `![${n}](${f})`)
    .join('\n\n');
  return section(
    `Right-sizing experiment: ${s.name}`,
    2,
    header,
    section('Results', 3, summaryTable(r), strategyList(r)),
    section('Why', 3, causesTable(r)),
    dynamicsTable(r) === '' ? '' : section('Resize dynamics (hash_resize)', 3, dynamicsTable(r), dynamicsNotes(r)),
    section('By phase (flows refused / broken)', 3, phaseTable(r)),
    section('Workload', 3, workloadTable(r)),
    charts.length > 0 ? section('Charts', 3, charts) : '',
  );
}
