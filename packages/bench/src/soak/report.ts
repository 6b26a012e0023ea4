import { fmtCount, type SoakReport } from './run-soak.js';

/** The soak's closing report: the figures, then every violation (there must be none). */
export function soakMarkdown(r: SoakReport): string {
  const rows: [string, string][] = [
    ['duration', `${r.seconds} s on ${r.cpus} CPUs (seed ${r.seed})`],
    ['operations', `${r.operations} (${fmtCount(r.opsPerSec)}/s)`],
    ['results', `OK ${r.results.ok}, EBUSY ${r.results.ebusy}, E2BIG ${r.results.e2big}, ENOMEM ${r.results.enomem}, ENOENT ${r.results.enoent}, EEXIST ${r.results.eexist}, other ${r.results.other}`],
    ['resizes', `${r.resizes.grows} grows, ${r.resizes.shrinks} shrinks (${Object.entries(r.resizes.byMap).map(([m, s]) => `${m} ${s.grows}/${s.shrinks}`).join(', ')}); ${r.resizes.calls} grow()/shrink() calls`],
    ['EBUSY', String(r.ebusy)],
    ['kills survived', `${r.kills} (${r.replacementKills} of a CPU started after an earlier death, ${r.quickKills} of them within 50 ms of its start); no CPU marked dead by the soak`],
    ['recovery', `${r.recovery.locksRecovered} locks taken over from dead CPUs, ${r.recovery.recordsReplayed} writes replayed, ${r.recovery.elementsReclaimed} elements given back, ${r.recovery.repairs} repairs`],
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
