import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { soakDefaults } from '../../src/soak/options.js';
import { runSoak } from '../../src/soak/run-soak.js';

// The CI soak: the same code path as `pnpm soak --minutes N`, for one minute.
// Every map type under load on every core, CPUs killed at random and
// replaced (replacements killed too, never marked dead), the maps verified in
// pauses: no violation, no lock timeout, and every part of the
// machinery actually ran (kills, resizes, hostile inputs, verifies).

describe('a short soak', () => {
  beforeAll(() => {
    if (!existsSync(new URL('../../dist/soak/worker.js', import.meta.url))) throw new Error('build first: npx tsc -b packages/bench');
  });

  it('runs every map type with kills and resizes and finds no violation', async () => {
    const lines: string[] = [];
    const r = await runSoak(soakDefaults({ seconds: 60, killEveryMs: 2500, verifyEveryMs: 4000, progressEveryMs: 10_000 }), (l) => lines.push(l));
    expect(r.violations).toEqual([]);
    expect(r.lockTimeouts).toBe(0);
    expect(r.tornReads).toBe(0);
    expect(r.operations).toBeGreaterThan(10_000);
    expect(r.kills).toBeGreaterThan(3);
    // CPUs started after a death die too (the engine finds every death itself).
    expect(r.replacementKills).toBeGreaterThan(0);
    expect(r.resizes.grows).toBeGreaterThan(0);
    expect(r.resizes.shrinks).toBeGreaterThan(0);
    expect(r.inputsTried).toBeGreaterThan(0);
    // Every hostile input was refused clearly, but for one a kill may have cut short per kill.
    expect(r.inputsTried - r.inputsRefused).toBeLessThanOrEqual(r.kills);
    expect(r.verifies).toBeGreaterThan(3);
    expect(r.ledgerChecks).toBeGreaterThan(0);
    expect(lines.some((l) => l.startsWith('[soak '))).toBe(true);
  }, 180_000);
});
