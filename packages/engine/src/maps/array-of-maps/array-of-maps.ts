import { currentCpu } from '../../context.js';
import { BPF_ANY, Errno } from '../../errno.js';
import { lockRecover, unlock } from '../../locks/bucket-lock.js';
import { LINE_WORDS, SegmentStore, allocArea, newMapId } from '../../memory/segments.js';
import type { QuiescenceDomain } from '../../rcu/domain.js';
import { RetireQueue, retireQueueWords } from '../../rcu/retire.js';
import { describe, normalizeSpec, requireInt, type NormalizedSpec } from '../../spec/map-spec.js';
import { MapBase, checkHandle, type MapParts, type MapTypeImpl } from '../base.js';
import { IndexKeyedMap } from '../array/index-keyed-map.js';
import { MapHeader, TYPE_BASE, W_LOCKS_RECOVERED } from '../header.js';
import type { BatchOptions, BatchResult, BpfMap, MapHandle, MapStats } from '../map.js';
import { dropDescriptor, publishDescriptor, readDescriptor, type InnerDescriptor } from './inner-descriptor.js';
import { innerMatches } from './inner-template.js';
import { assertHeld, assertRepairLockHeld, lockChecksOn } from '../lock-contracts.js';

const SEG_SLOTS = 1;
const SEG_RETIRE = 2;
const RETIRE_SLOTS = 16;

/** Control lock: every change of the slots, and every release, happens under it. */
const H_CTL_LOCK = TYPE_BASE;
const H_META = TYPE_BASE + LINE_WORDS;
const M_NEXT_ID = H_META;
const M_RELEASED = H_META + 1;
const M_SWAPS = H_META + 2;
/**
 * The swap in flight (written under the control lock): index + 1 (0 = none),
 * the slot id going in, the one going out, and 1 when the one going out must
 * be retired. Whoever takes the control lock over from a dead holder redoes
 * the swap from these (recoverCtl): it is then applied whole, the old inner
 * map retired, never left unreleased.
 */
const M_INTENT_INDEX = H_META + 3;
const M_INTENT_NEW = H_META + 4;
const M_INTENT_OLD = H_META + 5;
const M_INTENT_RETIRE = H_META + 6;
/** Shared words, for the consistency checker. */
export const AOM_SEG_SLOTS = SEG_SLOTS;
export const AOM_CTL_LOCK = H_CTL_LOCK;
export const AOM_NEXT_ID = M_NEXT_ID;

/** Attaches a map from its handle in this thread (registry's attachMap, given at registration to avoid an import cycle). */
type Attach = (handle: MapHandle) => BpfMap;

/** This thread's attachments of inner maps, by map id (shared by every outer map in the thread). */
const attachedInners = new Map<string, BpfMap>();

/**
 * BPF_MAP_TYPE_ARRAY_OF_MAPS: an array whose values are maps that match a
 * template (spec.inner; see inner-template.ts).
 *
 * Value representation. The kernel's userspace value is an inner map fd on
 * update and a map id on lookup, 4 bytes either way. We keep valueSize 4: each
 * index holds a slot id (0 = empty), an id the outer map gives each inner map
 * it installs (see inner-descriptor.ts for how the handle behind it travels).
 *   - `setInner(index, map | handle, flags)` installs an inner map;
 *   - `getInner(index)` / `lookupMap(index)` give the inner map, attached in
 *     the calling thread, ready to use (a program's bpf_map_lookup_elem on
 *     the outer map);
 *   - `lookup(key)` gives the 4-byte slot id, as the kernel gives the map id;
 *   - `update(key, value)` takes a 4-byte slot id that this map holds now (at
 *     any index), and installs that same inner map at `key` (the fd of a map
 *     already in the array, in kernel terms); any other id is -EINVAL;
 *   - `delete(key)` empties the index (-ENOENT if empty), as
 *     fd_array_map_delete_elem does.
 *
 * Errors, in the kernel's order: flags other than BPF_ANY -EINVAL, index out
 * of range -E2BIG, an inner map that does not match the template (or was
 * destroyed) -EINVAL. Programs may only look up: an update or delete from a
 * program is -EINVAL (the verifier refuses them in the kernel). A swap whose
 * old inner map must wait for a grace period while the retire queue is full
 * is -EBUSY (`reclaim()` and retry).
 *
 * Swap and release. An update is one Atomics.store of the new slot id. The
 * inner map it replaced may still be in use by programs that looked it up, so
 * it is retired (RetireQueue) and released once every CPU has passed a
 * quiescent point: released means it stops counting in this map's
 * stats().bytes and is destroyed (any later operation on it throws). An inner
 * map still installed at another index is not released. The outer map owns
 * its inner maps: destroying it destroys them. (One inner map installed in two
 * outer maps is not supported: the first to release it destroys it.)
 *
 * Per-thread caches: a thread attaches each inner map once (by map id) and
 * remembers, per index, the slot id it resolved, so a program's repeated
 * lookupMap is one Atomics.load and a compare.
 */
export class ArrayOfMapsMap extends IndexKeyedMap {
  private readonly slots: Int32Array;
  private readonly retire: RetireQueue;
  private readonly inner: NormalizedSpec;
  private readonly descs = new Map<number, InnerDescriptor>();
  private readonly idAt: number[] = [];
  private readonly mapAt: (BpfMap | undefined)[] = [];

  constructor(
    parts: MapParts,
    private readonly attachInner: Attach,
  ) {
    super(parts);
    if (!this.spec.inner) throw new TypeError('spec.inner (the inner map template) is required for array_of_maps');
    this.inner = this.spec.inner;
    this.slots = new Int32Array(this.segments.get(SEG_SLOTS));
    this.retire = new RetireQueue(new Int32Array(this.segments.get(SEG_RETIRE)), 0, RETIRE_SLOTS, this.domain);
  }

  static bytesAtCreate(spec: NormalizedSpec): number {
    return spec.maxEntries * 4 + retireQueueWords(RETIRE_SLOTS) * 4;
  }

  /** The registry's entry for this type; `attach` is attachMap. */
  static typeImpl(attach: Attach): MapTypeImpl {
    return {
      bytesAtCreate: ArrayOfMapsMap.bytesAtCreate,
      create: (spec, domain) => ArrayOfMapsMap.create(spec, domain, attach),
      attach: (_h, parts) => new ArrayOfMapsMap(parts, attach),
    };
  }

  static create(spec: NormalizedSpec, domain: QuiescenceDomain, attach: Attach): ArrayOfMapsMap {
    const slots = allocArea(spec.maxEntries * 4, 'spec.maxEntries', `array of ${spec.maxEntries} inner map slots`);
    const retire = new SharedArrayBuffer(retireQueueWords(RETIRE_SLOTS) * 4);
    const header = MapHeader.create(0);
    const id = newMapId();
    const segments = SegmentStore.create(id, header.segmentControl(domain));
    segments.publish(SEG_SLOTS, slots);
    segments.publish(SEG_RETIRE, retire);
    header.addBytes(slots.byteLength + retire.byteLength);
    header.words[M_NEXT_ID] = 1;
    return new ArrayOfMapsMap({ id, spec, header, segments, domain }, attach);
  }

  // ---- the program's path: lock-free ----

  /**
   * The inner map at `index`, attached in this thread, or undefined (empty or
   * out of range). A program may use it until its next quiescent point.
   */
  lookupMap(index: number): BpfMap | undefined {
    this.checkLive();
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > 0xffffffff) {
      throw new TypeError(`index must be an integer in 0..2^32-1, got ${describe(index)}`);
    }
    if (index >= this.spec.maxEntries) return undefined;
    const id = Atomics.load(this.slots, index);
    if (id === 0) return undefined;
    if (this.idAt[index] === id) return this.mapAt[index];
    const m = this.innerFor(id);
    this.idAt[index] = id;
    this.mapAt[index] = m;
    return m;
  }

  /** Userspace spelling of lookupMap. */
  getInner(index: number): BpfMap | undefined {
    return this.lookupMap(index);
  }

  private descriptor(slotId: number): InnerDescriptor {
    let d = this.descs.get(slotId);
    if (!d) {
      d = readDescriptor(this.segments, slotId);
      this.descs.set(slotId, d);
    }
    return d;
  }

  private innerFor(slotId: number): BpfMap {
    const d = this.descriptor(slotId);
    let m = attachedInners.get(d.handle.id);
    if (m && (m as MapBase).header.destroyed) {
      forgetAttachment(d.handle.id);
      m = undefined;
    }
    if (!m) {
      // A miss is rare (a new inner map): also let go of inner maps released elsewhere.
      for (const [id, other] of attachedInners) if ((other as MapBase).header.destroyed) forgetAttachment(id);
      m = this.attachInner(d.handle);
      attachedInners.set(d.handle.id, m);
    }
    return m;
  }

  // ---- userspace: the 4-byte value ----

  // As ARRAY's, deliberately: in IndexKeyedMap, lookupIndex would be a polymorphic call on a program's hot path.
  lookupInto(key: Uint8Array, out: Uint8Array): number {
    this.checkKey(key);
    this.checkOut(out);
    return this.lookupIndex(this.indexOf(key), out);
  }

  lookupU32Into(key: number, out: Uint8Array): number {
    this.checkU32(key);
    this.checkOut(out);
    return this.lookupIndex(key, out);
  }

  private lookupIndex(i: number, out: Uint8Array): number {
    if (!this.userMayRead()) return -Errno.EPERM;
    if (i >= this.spec.maxEntries) return -Errno.ENOENT;
    const id = Atomics.load(this.slots, i);
    if (id === 0) return -Errno.ENOENT;
    new DataView(out.buffer, out.byteOffset, 4).setUint32(0, id, true);
    return 0;
  }

  /** Installs, at `key`, the inner map whose slot id (held by this map now) is the 4-byte value. */
  update(key: Uint8Array, value: Uint8Array, flags = 0): number {
    this.checkKey(key);
    this.checkValue(value);
    return this.updateWithId(this.indexOf(key), new DataView(value.buffer, value.byteOffset, 4).getUint32(0, true), flags);
  }

  updateU32(key: number, value: Uint8Array, flags = 0): number {
    this.checkU32(key);
    this.checkValue(value);
    return this.updateWithId(key, new DataView(value.buffer, value.byteOffset, 4).getUint32(0, true), flags);
  }

  private updateWithId(index: number, slotId: number, flags: number): number {
    const early = this.updateChecks(index, flags);
    if (early !== 0) return early;
    return this.underCtlLock(() => {
      this.reclaimLocked();
      if (slotId === 0 || slotId >= 0x80000000 || !this.slotIdHeld(slotId)) return -Errno.EINVAL;
      return this.installLocked(index, slotId);
    });
  }

  /**
   * Installs `inner` (a map or its handle, from any thread) at `index`: 0, or
   * -EINVAL (flags other than BPF_ANY, an inner map that does not match the
   * template or was destroyed, a call from a program), -E2BIG (index out of
   * range), -EPERM (rdonly), -EBUSY (retire queue full).
   */
  setInner(index: number, inner: BpfMap | MapHandle, flags = 0): number {
    this.checkLive();
    requireInt('index', index, 0, 0xffffffff);
    const handle = toHandle(inner);
    const early = this.updateChecks(index, flags);
    if (early !== 0) return early;
    const spec = normalizeSpec(handle.spec);
    if (!innerMatches(this.inner, spec) || new MapHeader(handle.header).destroyed) return -Errno.EINVAL;
    return this.underCtlLock(() => {
      this.reclaimLocked();
      // The reclaim may just have released this very map (swapped out earlier).
      if (new MapHeader(handle.header).destroyed) return -Errno.EINVAL;
      const known = this.slotIdOf(handle.id);
      // Refuse before publishing a descriptor that would never be installed.
      if (known === undefined && this.mustRetire(index) && this.retireFull()) return -Errno.EBUSY;
      return this.installLocked(index, known ?? this.newSlotId(handle));
    });
  }

  /** bpf_fd_array_map_update_elem's checks, in its order. */
  private updateChecks(index: number, flags: number): number {
    if (currentCpu() >= 0) return -Errno.EINVAL;
    if (!this.userMayWrite()) return -Errno.EPERM;
    if (flags !== BPF_ANY) return -Errno.EINVAL;
    if (index >= this.spec.maxEntries) return -Errno.E2BIG;
    return 0;
  }

  delete(key: Uint8Array): number {
    this.checkKey(key);
    return this.deleteIndex(this.indexOf(key));
  }

  deleteU32(key: number): number {
    this.checkU32(key);
    return this.deleteIndex(key);
  }

  private deleteIndex(index: number): number {
    if (currentCpu() >= 0) return -Errno.EINVAL;
    if (!this.userMayWrite()) return -Errno.EPERM;
    if (index >= this.spec.maxEntries) return -Errno.E2BIG;
    return this.underCtlLock(() => {
      this.reclaimLocked();
      if (Atomics.load(this.slots, index) === 0) return -Errno.ENOENT;
      return this.installLocked(index, 0);
    });
  }

  // ---- under the control lock ----

  /** A userspace write: under the control lock, then the repair a death since the last one calls for. */
  private underCtlLock(fn: () => number): number {
    try {
      return this.withCtlLock(fn);
    } finally {
      this.settle();
    }
  }

  /** Runs `fn` holding the control lock (taken over and repaired from a dead holder: recoverCtl). */
  private withCtlLock(fn: () => number): number {
    const h = this.header.words;
    lockRecover(h, H_CTL_LOCK, this.domain.ownerId(), this.domain, 'array_of_maps control lock', () => this.recoverCtl());
    try {
      return fn();
    } finally {
      unlock(h, H_CTL_LOCK);
    }
  }

  /** With lock checks on: throws unless the calling thread holds the control lock. */
  private assertCtlLockHeld(): void {
    if (lockChecksOn()) assertHeld(this.header.words, H_CTL_LOCK, this.domain.ownerId(), 'array_of_maps control lock');
  }

  /** Stores `slotId` (0 = empty) at `index` and retires the inner map it replaced, if no index holds it any more. */
  private installLocked(index: number, slotId: number): number {
    this.assertCtlLockHeld();
    const old = Atomics.load(this.slots, index);
    if (old === slotId) return 0;
    const retireOld = this.mustRetire(index);
    // Only this lock's holder retires, so free room now is free room below.
    if (retireOld && this.retireFull()) return -Errno.EBUSY;
    const h = this.header.words;
    h[M_INTENT_NEW] = slotId;
    h[M_INTENT_OLD] = old;
    h[M_INTENT_RETIRE] = retireOld ? 1 : 0;
    Atomics.store(h, M_INTENT_INDEX, index + 1);
    this.applySwapLocked(index, slotId, old, retireOld);
    Atomics.store(h, M_INTENT_INDEX, 0);
    return 0;
  }

  /** The swap itself, also redone by recoverCtl: every step is skipped when already done. */
  private applySwapLocked(index: number, slotId: number, old: number, retireOld: boolean): void {
    this.assertCtlLockHeld();
    // One store: lookups see the old inner map or the new one.
    if (Atomics.load(this.slots, index) !== slotId) {
      Atomics.store(this.slots, index, slotId);
      Atomics.add(this.header.words, M_SWAPS, 1);
    }
    if (!retireOld || this.retire.pending().includes(old)) return;
    if (!this.retire.retire(old, this.descriptor(old).header.heldBytes())) {
      throw new Error('rightsize: array_of_maps retire queue full after checking for room (accounting bug)');
    }
  }

  /**
   * Under the control lock, taken over from a dead holder: retire-queue slots
   * it was filling or freeing come back (a free cut short is finished), then
   * the swap it had in flight, if any, is redone whole.
   */
  private recoverCtl(): void {
    const h = this.header.words;
    Atomics.add(h, W_LOCKS_RECOVERED, 1);
    this.retire.recoverDead((slotId) => this.release(slotId));
    const at = Atomics.load(h, M_INTENT_INDEX);
    if (at === 0) return;
    this.applySwapLocked(at - 1, h[M_INTENT_NEW]!, h[M_INTENT_OLD]!, h[M_INTENT_RETIRE] === 1);
    Atomics.store(h, M_INTENT_INDEX, 0);
  }

  /** Whether replacing what `index` holds leaves that inner map at no index (so it must be retired). */
  private mustRetire(index: number): boolean {
    const old = Atomics.load(this.slots, index);
    return old !== 0 && !this.innerHeld(this.descriptor(old).handle.id, index);
  }

  private retireFull(): boolean {
    return this.retire.pending().length >= RETIRE_SLOTS;
  }

  private newSlotId(handle: MapHandle): number {
    const h = this.header.words;
    const slotId = h[M_NEXT_ID]!;
    h[M_NEXT_ID] = slotId + 1;
    this.descs.set(slotId, publishDescriptor(this.segments, slotId, handle));
    return slotId;
  }

  /** The slot id an index holds for inner map `innerId`, if any. */
  private slotIdOf(innerId: string): number | undefined {
    for (let i = 0; i < this.spec.maxEntries; i++) {
      const s = Atomics.load(this.slots, i);
      if (s !== 0 && this.descriptor(s).handle.id === innerId) return s;
    }
    return undefined;
  }

  private slotIdHeld(slotId: number): boolean {
    for (let i = 0; i < this.spec.maxEntries; i++) if (Atomics.load(this.slots, i) === slotId) return true;
    return false;
  }

  /** Whether an index other than `except` holds inner map `innerId`. */
  private innerHeld(innerId: string, except = -1): boolean {
    for (let i = 0; i < this.spec.maxEntries; i++) {
      if (i === except) continue;
      const s = Atomics.load(this.slots, i);
      if (s !== 0 && this.descriptor(s).handle.id === innerId) return true;
    }
    return false;
  }

  private reclaimLocked(): number {
    this.assertCtlLockHeld();
    return this.retire.reclaim((slotId) => this.release(slotId));
  }

  /**
   * Releases the inner map behind retired slot id `slotId`. Safe to run twice
   * (a free redone after its thread died, see RetireQueue.recoverDead).
   */
  private release(slotId: number): void {
    const d = this.descriptor(slotId);
    // Installed again meanwhile (under another slot id): it lives on.
    if (!this.innerHeld(d.handle.id)) {
      if (!d.header.destroyed) this.innerFor(slotId).destroy();
      forgetAttachment(d.handle.id);
    }
    dropDescriptor(this.segments, d);
    this.descs.delete(slotId);
    Atomics.add(this.header.words, M_RELEASED, 1);
  }

  /** After a death: retire-queue slots a dead thread was filling or freeing come back (a free cut short is finished). */
  protected override repairLocked(): number {
    assertRepairLockHeld(this.header, this.domain);
    return this.withCtlLock(() => {
      this.retire.recoverDead((slotId) => this.release(slotId));
      return 0;
    });
  }

  /** Releases swapped-out inner maps whose grace period is over; how many. */
  reclaim(): number {
    this.checkLive();
    return this.underCtlLock(() => this.reclaimLocked());
  }

  // ---- the rest of the map API ----

  /** Values are slot ids, not words a program may add to. */
  atomicAdd(key: Uint8Array, _byteOffset: number, delta: number): number {
    this.checkKey(key);
    requireInt('delta', delta, -0x80000000, 0xffffffff);
    return -Errno.EINVAL;
  }

  /** Every index exists, empty or not: getNextKey walks them all (IndexKeyedMap). */
  protected indexBound(): number {
    return this.spec.maxEntries;
  }

  /** generic_map_lookup_batch: empty indices are skipped; the cursor is the next index. */
  lookupBatch(cursor: number | null, count: number, opts: BatchOptions = {}): BatchResult {
    this.checkLive();
    requireInt('count', count, 0, 2 ** 31);
    if (cursor !== null) requireInt('cursor', cursor, 0, 2 ** 32);
    const res: BatchResult = { err: 0, keys: [], values: [], count: 0, cursor };
    if ((opts.flags ?? 0) !== 0 || (opts.elemFlags ?? 0) !== 0) return { ...res, err: -Errno.EINVAL };
    if (!this.userMayRead()) return { ...res, err: -Errno.EPERM };
    if (count === 0) return res;
    let i = cursor ?? 0;
    const max = this.spec.maxEntries;
    for (; i < max && res.count < count; i++) {
      const id = Atomics.load(this.slots, i);
      if (id === 0) continue;
      const k = new Uint8Array(4);
      new DataView(k.buffer).setUint32(0, i, true);
      const v = new Uint8Array(4);
      new DataView(v.buffer).setUint32(0, id, true);
      res.keys.push(k);
      res.values.push(v);
      res.count++;
    }
    if (i >= max) return { ...res, err: -Errno.ENOENT, cursor: null };
    res.cursor = i;
    return res;
  }

  /**
   * bytes: this map's own memory plus the current memory of every distinct
   * inner map it holds or still has to release.
   */
  stats(): MapStats {
    this.checkLive();
    const current = new Map<string, InnerDescriptor>();
    let entries = 0;
    for (let i = 0; i < this.spec.maxEntries; i++) {
      const s = Atomics.load(this.slots, i);
      if (s === 0) continue;
      entries++;
      const d = this.descriptor(s);
      current.set(d.handle.id, d);
    }
    const counted = new Map(current);
    for (const s of this.retire.pending()) {
      const d = this.descriptor(s);
      counted.set(d.handle.id, d);
    }
    let innerBytes = 0;
    for (const d of counted.values()) innerBytes += d.header.heldBytes();
    const h = this.header.words;
    return {
      type: this.spec.type,
      entries,
      maxEntries: this.spec.maxEntries,
      buckets: 0,
      bytes: this.header.heldBytes() + innerBytes,
      innerMaps: current.size,
      innerBytes,
      pendingRelease: this.retire.pending().length,
      released: Atomics.load(h, M_RELEASED),
      swaps: Atomics.load(h, M_SWAPS),
    };
  }

  /** Destroys the map and the inner maps it holds or has yet to release (it owns them). */
  override destroy(): void {
    if (!this.header.destroyed) {
      this.checkLive();
      this.withCtlLock(() => {
        const ids = new Set<number>();
        for (let i = 0; i < this.spec.maxEntries; i++) {
          const s = Atomics.load(this.slots, i);
          if (s !== 0) ids.add(s);
        }
        for (const s of this.retire.pending()) ids.add(s);
        const done = new Set<string>();
        for (const s of ids) {
          const d = this.descriptor(s);
          if (done.has(d.handle.id)) continue;
          done.add(d.handle.id);
          if (!d.header.destroyed) this.innerFor(s).destroy();
          forgetAttachment(d.handle.id);
        }
        return 0;
      });
    }
    super.destroy();
  }
}

/** A map or its handle -> the handle (programmer errors throw). */
function toHandle(inner: unknown): MapHandle {
  if (inner instanceof MapBase) return inner.handle;
  checkHandle(inner);
  return inner;
}

/** Drops this thread's attachment of inner map `id` (closing its channel). */
function forgetAttachment(id: string): void {
  const m = attachedInners.get(id);
  if (!m) return;
  attachedInners.delete(id);
  m.close();
}
