import { createMap, QuiescenceDomain, type ArrayOfMapsMap, type BpfMap } from '@rightsize/engine';
import { soakMaps, type SoakMap } from './maps.js';
import type { Violations } from './violations.js';

/** What a map's repair has done since it was created (summed over maps, or one map's). */
export interface RecoveryFigures {
  locksRecovered: number;
  recordsReplayed: number;
  elementsReclaimed: number;
  repairs: number;
}

export interface ResizeTotals {
  grows: number;
  shrinks: number;
  byMap: Record<string, { grows: number; shrinks: number }>;
}

/**
 * The soak's maps, created by the main thread in one quiescence domain (the
 * CPU workers attach them by handle): every map type of maps.ts, the index of
 * each ledger map in the shared ledger, and array_of_maps's inner maps, which
 * the main thread swaps now and then while the CPUs write them.
 */
export class SoakMapSet {
  readonly domain = QuiescenceDomain.create();
  readonly defs: SoakMap[];
  readonly maps = new Map<string, BpfMap>();
  /** Maps that keep a ledger, by name: their index in the shared ledger. */
  readonly ledgerIndex = new Map<string, number>();
  readonly aom: ArrayOfMapsMap;
  /** Inner maps of array_of_maps swapped in (the first fill included). */
  swaps = 0;

  constructor(
    cpus: number,
    private readonly violations: Violations,
  ) {
    this.defs = soakMaps(cpus);
    for (const def of this.defs) {
      this.maps.set(def.name, createMap(def.spec, { domain: this.domain }));
      if (def.ledger) this.ledgerIndex.set(def.name, this.ledgerIndex.size);
    }
    this.aom = this.maps.get('array_of_maps') as ArrayOfMapsMap;
    for (let i = 0; i < this.aom.spec.maxEntries; i++) this.swapInner(i);
    // The deferred resizer thread is started by the thread that first asks for
    // a resize, and ends with it: started here, it is not lost with a killed CPU.
    this.maps.get('hash_resize_deferred')!.grow();
  }

  /** Puts a fresh inner map at `index` of array_of_maps (the old one is reclaimed after its grace period). */
  swapInner(index: number): void {
    const inner = createMap(this.defs.find((d) => d.name === 'array_of_maps')!.spec.inner!, { domain: this.domain });
    this.violations.guarded(`swapping inner map ${index}`, () => {
      const rc = this.aom.setInner(index, inner);
      if (rc === 0) this.swaps++;
      else inner.destroy();
      this.aom.reclaim();
    });
  }

  swapRandomInner(): void {
    this.swapInner(Math.floor(Math.random() * this.aom.spec.maxEntries));
  }

  /** Grows and shrinks so far, of the maps that resize. */
  resizeTotals(): ResizeTotals {
    let grows = 0;
    let shrinks = 0;
    const byMap: Record<string, { grows: number; shrinks: number }> = {};
    for (const [name, m] of this.maps) {
      const s = m.stats();
      if (typeof s.grows !== 'number' || typeof s.shrinks !== 'number') continue;
      byMap[name] = { grows: s.grows, shrinks: s.shrinks };
      grows += s.grows;
      shrinks += s.shrinks;
    }
    return { grows, shrinks, byMap };
  }

  /** The repairs' figures, in total and per map (array_of_maps: with the inner maps it holds now). */
  recovery(): { total: RecoveryFigures; byMap: Record<string, RecoveryFigures> } {
    const total = noRecovery();
    const byMap: Record<string, RecoveryFigures> = {};
    for (const [name, m] of this.maps) {
      const mine = noRecovery();
      addRecovery(mine, m.recoveryCounts());
      // Programs write the inner maps: their locks are where CPUs die.
      if (m === this.aom)
        for (let i = 0; i < this.aom.spec.maxEntries; i++) {
          const inner = this.aom.getInner(i);
          if (inner) addRecovery(mine, inner.recoveryCounts());
        }
      byMap[name] = mine;
      addRecovery(total, mine);
    }
    return { total, byMap };
  }

  destroy(): void {
    this.aom.destroy();
    for (const m of this.maps.values()) if (m !== this.aom) m.destroy();
  }
}

function noRecovery(): RecoveryFigures {
  return { locksRecovered: 0, recordsReplayed: 0, elementsReclaimed: 0, repairs: 0 };
}

function addRecovery(to: RecoveryFigures, r: RecoveryFigures): void {
  to.locksRecovered += r.locksRecovered;
  to.recordsReplayed += r.recordsReplayed;
  to.elementsReclaimed += r.elementsReclaimed;
  to.repairs += r.repairs;
}
