import { describe, expect, it } from 'vitest';
import { soakOptions } from '../../src/soak/command.js';
import { soakMarkdown, type SoakReport } from '../../src/soak/report.js';

describe('soak command line and report', () => {
  it('reads --minutes as seconds, --seconds over it, and --no-kills', () => {
    expect(soakOptions({ minutes: 10, kills: true }).seconds).toBe(600);
    expect(soakOptions({ minutes: 10, seconds: 30, kills: true }).seconds).toBe(30);
    expect(soakOptions({ kills: false }).killEveryMs).toBe(0);
    expect(soakOptions({ kills: true, cpus: 3, verifyEvery: 1000 })).toMatchObject({ cpus: 3, verifyEveryMs: 1000 });
  });

  it('lists every violation under the figures', () => {
    const r = {
      seconds: 1, cpus: 2, seed: 1, operations: 10, opsPerSec: 10,
      results: { ok: 1, ebusy: 0, e2big: 0, enomem: 0, enoent: 0, eexist: 0, other: 0 },
      resizes: { grows: 0, shrinks: 0, calls: 0, byMap: {} }, ebusy: 0, kills: 0, replacementKills: 0, quickKills: 0,
      recovery: { locksRecovered: 0, recordsReplayed: 0, elementsReclaimed: 0, repairs: 0 },
      recoveryByMap: { hash: { locksRecovered: 2, recordsReplayed: 1, elementsReclaimed: 0, repairs: 1 } }, lockTimeouts: 0,
      inputsTried: 0, inputsRefused: 0, valuesChecked: 0, tornReads: 0, verifies: 1, ledgerChecks: 0, innerMapSwaps: 0,
      violations: ['hash: bucket 3: seqlock 5 is odd'],
    } satisfies SoakReport;
    const md = soakMarkdown(r);
    expect(md).toMatch(/\| violations \| 1 \|/);
    expect(md).toMatch(/- hash: bucket 3: seqlock 5 is odd/);
    expect(md).toMatch(/\| lock timeouts \| 0 \|/);
    expect(md).toMatch(/hash 2 locks \/ 1 replayed/);
  });
});
