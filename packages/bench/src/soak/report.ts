import type { SoakCpus } from './cpus.js';
import type { Counter, SoakWords } from './layout.js';
import type { RecoveryFigures, SoakMapSet } from './map-set.js';
import type { SoakOptions } from './options.js';
import type { SoakVerification } from './verification.js';
import type { Violations } from './violations.js';

/** What a soak run did and found (`pnpm soak --json` writes it as is). */
export interface SoakReport {
  seconds: number;
  cpus: number;
  seed: number;
  operations: number;
  opsPerSec: number;
  results: { ok: number; ebusy: number; e2big: number; enomem: number; enoent: number; eexist: number; other: number };
  resizes: { grows: number; shrinks: number; calls: number; byMap: Record<string, { grows: number; shrinks: number }> };
  ebusy: number;
  kills: number;
  /** Kills of a CPU worker that was itself started after an earlier death (a replacement killed again). */
  replacementKills: number;
  /** Of those, kills within QUICK_KILL_MS (cpus.ts) of the replacement's start (it may still be attaching or taking locks over). */
  quickKills: number;
  recovery: RecoveryFigures;
  /** Recovery per map (array_of_maps: with the inner maps it holds at the end). */
  recoveryByMap: Record<string, RecoveryFigures>;
  /** LockTimeoutErrors met by any thread (each is a violation too): a lock left held for good. Must be 0. */
  lockTimeouts: number;
  inputsTried: number;
  inputsRefused: number;
  valuesChecked: number;
  tornReads: number;
  verifies: number;
  ledgerChecks: number;
  innerMapSwaps: number;
  violations: string[];
}

/** Everything a soak run counts, where the report reads it. */
export interface SoakFigures {
  opts: SoakOptions;
  words: SoakWords;
  set: SoakMapSet;
  cpus: SoakCpus;
  verification: SoakVerification;
  violations: Violations;
}

/** The report of a finished run (every CPU gone, the final check done) that lasted `elapsedS` seconds. */
export function soakReport(f: SoakFigures, elapsedS: number): SoakReport {
  const { opts, words, set, cpus, verification, violations } = f;
  const sum = (name: Counter) => words.sum(name);
  const recovery = set.recovery();
  return {
    seconds: Math.round(elapsedS),
    cpus: opts.cpus,
    seed: opts.seed,
    operations: sum('ops'),
    opsPerSec: Math.round(sum('ops') / elapsedS),
    results: { ok: sum('ok'), ebusy: sum('ebusy'), e2big: sum('e2big'), enomem: sum('enomem'), enoent: sum('enoent'), eexist: sum('eexist'), other: sum('otherErrno') },
    resizes: { ...set.resizeTotals(), calls: sum('resizeCalls') },
    ebusy: sum('ebusy'),
    kills: cpus.kills,
    replacementKills: cpus.replacementKills,
    quickKills: cpus.quickKills,
    recovery: recovery.total,
    recoveryByMap: recovery.byMap,
    lockTimeouts: sum('lockTimeouts') + violations.mainLockTimeouts,
    inputsTried: sum('inputsTried'),
    inputsRefused: sum('inputsRefused'),
    valuesChecked: sum('lookups'),
    tornReads: sum('tornReads'),
    verifies: verification.verifies,
    ledgerChecks: verification.ledgerChecks,
    innerMapSwaps: set.swaps,
    violations: violations.list,
  };
}

/** One line of progress, `elapsedS` seconds into the run. */
export function progressLine(f: SoakFigures, elapsedS: number): string {
  const { opts, words, set, cpus, verification, violations } = f;
  const ops = words.sum('ops');
  const resizes = set.resizeTotals();
  return (
    `[soak ${fmtTime(elapsedS)}/${fmtTime(opts.seconds)}] ops ${fmtCount(ops)} (${fmtCount(ops / Math.max(elapsedS, 0.001))}/s)  resizes ${resizes.grows + resizes.shrinks}` +
    `  EBUSY ${fmtCount(words.sum('ebusy'))}  kills ${cpus.kills} (${cpus.replacementKills} replacements)  lock timeouts ${words.sum('lockTimeouts') + violations.mainLockTimeouts}  verifies ${verification.verifies}  inputs ${fmtCount(words.sum('inputsTried'))}  violations ${violations.list.length}`
  );
}

function fmtTime(s: number): string {
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
}

/** A count in a progress line: 12.3k, 4.56M (the tables' formatRate spaces its units; these lines are kept short). */
function fmtCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

/** The soak's closing report: the figures, then every violation (there must be none). */
export function soakMarkdown(r: SoakReport): string {
  const rows: [string, string][] = [
    ['duration', `${r.seconds} s on ${r.cpus} CPUs (seed ${r.seed})`],
    ['operations', `${r.operations} (${fmtCount(r.opsPerSec)}/s)`],
    ['results', `OK ${r.results.ok}, EBUSY ${r.results.ebusy}, E2BIG ${r.results.e2big}, ENOMEM ${r.results.enomem}, ENOENT ${r.results.enoent}, EEXIST ${r.results.eexist}, other ${r.results.other}`],
    [
      'resizes',
      `${r.resizes.grows} grows, ${r.resizes.shrinks} shrinks (${Object.entries(r.resizes.byMap)
        .map(([m, s]) => `${m} ${s.grows}/${s.shrinks}`)
        .join(', ')}); ${r.resizes.calls} grow()/shrink() calls`,
    ],
    ['EBUSY', String(r.ebusy)],
    ['kills survived', `${r.kills} (${r.replacementKills} of a CPU started after an earlier death, ${r.quickKills} of them within 50 ms of its start); no CPU marked dead by the soak`],
    [
      'recovery',
      `${r.recovery.locksRecovered} locks taken over from dead CPUs, ${r.recovery.recordsReplayed} writes replayed, ${r.recovery.elementsReclaimed} elements given back, ${r.recovery.repairs} repairs`,
    ],
    [
      'recovery by map',
      Object.entries(r.recoveryByMap)
        .map(([m, c]) => `${m} ${c.locksRecovered} locks / ${c.recordsReplayed} replayed / ${c.elementsReclaimed} given back`)
        .join(', '),
    ],
    ['lock timeouts', String(r.lockTimeouts)],
    ['inputs tried', `${r.inputsTried} hostile inputs, ${r.inputsRefused} refused clearly (the others cut short by a kill)`],
    ['values checked', `${r.valuesChecked} lookups checked whole, ${r.tornReads} torn`],
    ['verifies', `${r.verifies} pauses, every map verified; ${r.ledgerChecks} ledger entries checked; ${r.innerMapSwaps} inner maps swapped`],
    ['violations', String(r.violations.length)],
  ];
  const table = ['| | |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
  const list = r.violations.length === 0 ? '' : `\n\nViolations:\n${r.violations.map((v) => `- ${v}`).join('\n')}`;
  return `## Soak\n\n${table}${list}`;
}
