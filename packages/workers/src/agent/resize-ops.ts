import { HashResizeMap, type BpfMap } from '@rightsize/engine';

/** A hash_resize map, or a clear error naming what the agent has instead. */
export function resizable(name: string, m: BpfMap): HashResizeMap {
  if (!(m instanceof HashResizeMap)) throw new TypeError(`map ${JSON.stringify(name)} is a ${m.spec.type}: setMaxEntries, hints, the decision log and the stable walk are hash_resize's`);
  return m;
}

/** One whole walk of a map by the agent, while the CPUs update it. */
export interface WalkReport {
  mode: 'stable' | 'best-effort';
  /** Keys the walk returned, repeats included. */
  returned: number;
  distinct: number;
  /** Returns beyond the first of a key. */
  repeated: number;
  /** Marker keys (present for the whole run: nobody deletes them) the walk did not return. */
  markersSkipped: number;
  markers: number;
  /** False when the walk was cut at its step bound (a best-effort walk restarts when its key is deleted). */
  completed: boolean;
  /** Resizes (grows + shrinks) finished while the walk ran. */
  resizesDuring: number;
  ms: number;
}

export interface WalkOptions {
  /** Walk modes, taken in turn, one walk each (the same conditions for both when they alternate). */
  modes: ('stable' | 'best-effort')[];
  /** Keys present for the whole walk (the caller inserted them and nobody deletes them). */
  markers: Uint8Array[];
  /** Keys (stable) or getNextKey calls (best effort) per slice: the agent's other work runs between slices. */
  sliceSteps?: number;
  /** A walk is cut after this many times the entries it started with (plus the markers) in steps. */
  maxStepsFactor?: number;
}

const hex = (k: Uint8Array): string => Buffer.from(k.buffer, k.byteOffset, k.byteLength).toString('hex');

/**
 * Walks a hash_resize map again and again from the agent thread, a slice at
 * a time (setImmediate between slices, so sampling and sweeps go on), and
 * reports each walk: what it returned, repeated, and which marker keys it
 * skipped. 'stable' walks with scan() (stable-walk.ts), 'best-effort' with
 * getNextKey (kernel semantics).
 */
export class Walker {
  readonly reports: WalkReport[] = [];
  readonly errors: string[] = [];
  private stopped = false;
  private idle: Promise<void>;
  private readonly markerHex: string[];

  constructor(
    private readonly map: HashResizeMap,
    private readonly opts: WalkOptions,
  ) {
    if (!Array.isArray(opts.modes) || opts.modes.length === 0) throw new TypeError('walk modes must be a non-empty array');
    for (const m of opts.modes) if (m !== 'stable' && m !== 'best-effort') throw new TypeError(`walk mode must be 'stable' or 'best-effort', got ${String(m)}`);
    this.markerHex = opts.markers.map(hex);
    this.idle = this.loop();
  }

  private resizes(): number {
    const st = this.map.stats();
    return (st.grows as number) + (st.shrinks as number);
  }

  private async loop(): Promise<void> {
    try {
      for (let i = 0; !this.stopped; i++) await this.walkOnce(this.opts.modes[i % this.opts.modes.length]!);
    } catch (e) {
      this.errors.push(String(e instanceof Error ? e.stack : e));
    }
  }

  private async walkOnce(mode: 'stable' | 'best-effort'): Promise<void> {
    const m = this.map;
    const slice = this.opts.sliceSteps ?? 64;
    const maxSteps = (this.opts.maxStepsFactor ?? 4) * (m.stats().entries + this.opts.markers.length) + 1024;
    const seen = new Map<string, number>();
    const r0 = this.resizes();
    const t0 = performance.now();
    const note = (k: Uint8Array): void => {
      const h = hex(k);
      seen.set(h, (seen.get(h) ?? 0) + 1);
    };
    let steps = 0;
    let done = false;
    if (mode === 'stable') {
      let cursor = 0;
      while (!done && steps < maxSteps && !this.stopped) {
        const r = m.scan(cursor, slice);
        r.keys.forEach(note);
        steps += r.count + 1;
        cursor = r.cursor;
        done = cursor === 0;
        await new Promise((res) => setImmediate(res));
      }
    } else {
      const next = new Uint8Array(m.spec.keySize);
      let key: Uint8Array | null = null;
      while (!done && steps < maxSteps && !this.stopped) {
        for (let i = 0; i < slice; i++, steps++) {
          if (m.getNextKey(key, next) !== 0) {
            done = true;
            break;
          }
          note(next);
          key = next.slice();
        }
        await new Promise((res) => setImmediate(res));
      }
    }
    if (this.stopped && !done) return; // a walk cut by the stop is not a walk
    let returned = 0;
    for (const c of seen.values()) returned += c;
    this.reports.push({
      mode,
      returned,
      distinct: seen.size,
      repeated: returned - seen.size,
      markersSkipped: this.markerHex.filter((h) => !seen.has(h)).length,
      markers: this.markerHex.length,
      completed: done,
      resizesDuring: this.resizes() - r0,
      ms: performance.now() - t0,
    });
  }

  async stop(): Promise<WalkReport[]> {
    this.stopped = true;
    await this.idle;
    return this.reports;
  }
}

/**
 * Raises a hash_resize map's bound from the agent while the CPUs fill it
 * (the tracing case: no good bound known in advance): every `everyMs`, when
 * the entries pass `raiseAt` of the bound, the bound is multiplied by
 * `factor` (up to stats().maxEntriesCeiling, the engine's hard limit).
 * Counts its raises and the -EBUSY it met (a resize under way: it tries
 * again at its next look).
 */
export class BoundKeeper {
  raises = 0;
  busy = 0;
  readonly errors: string[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly map: HashResizeMap,
    everyMs: number,
    private readonly raiseAt: number,
    private readonly factor: number,
  ) {
    if (!(raiseAt > 0 && raiseAt <= 1)) throw new RangeError(`raiseAt must be in (0, 1], got ${raiseAt}`);
    if (!(factor > 1) || !Number.isFinite(factor)) throw new RangeError(`factor must be a finite number > 1, got ${factor}`);
    this.timer = setInterval(() => this.look(), everyMs);
  }

  private look(): void {
    try {
      const st = this.map.stats();
      if (st.entries <= this.raiseAt * st.maxEntries) return;
      const ceiling = st.maxEntriesCeiling as number;
      const to = Math.min(ceiling, Math.ceil(st.maxEntries * this.factor));
      if (to <= st.maxEntries) return;
      const rc = this.map.setMaxEntries(to);
      if (rc === 0) this.raises++;
      else this.busy++;
    } catch (e) {
      this.errors.push(String(e));
    }
  }

  stop(): { raises: number; busy: number; errors: string[] } {
    clearInterval(this.timer);
    return { raises: this.raises, busy: this.busy, errors: this.errors };
  }
}
