import { BPF_EXIST, BPF_NOEXIST, Errno, type BpfMap } from '@rightsize/engine';
import { defineProgram, type ProgramContext } from '@rightsize/workers';
import { C } from '../accounting/tally.js';
import { KIND_CLOSE, KIND_NEW } from '../workload/stream.js';
import {
  CT_BYTES_HI,
  CT_BYTES_LO,
  CT_CPU,
  CT_CREATED,
  CT_ESTABLISHED,
  CT_FLOW,
  CT_IFINDEX,
  CT_LAST_SEEN,
  CT_NEW,
  CT_PACKETS,
  CT_SEC_ID,
  CT_STATE,
  CT_VALUE_SIZE,
  FLOW_STALE,
  packetBytes,
} from './entries.js';
import { admitted, advance, count, finish, loadKey, missed, openReplay, refused, type ExperimentParams, type Replay } from './replay.js';

interface State {
  r: Replay;
  flows: BpfMap;
  /** The recovery strategy's overflow LRU, or null. */
  overflow: BpfMap | null;
  overflowCount: Int32Array | null;
  overflowCap: number;
  value: Uint8Array;
  vw: Uint32Array;
  out: Uint8Array;
  ow: Uint32Array;
}

/**
 * Connection tracking as a datapath does it, one packet per event:
 *  - a flow's first packet creates its entry (BPF_NOEXIST);
 *  - a later packet looks the entry up (lock-free) and, found, refreshes it
 *    (last-seen tick, counters) with an update (BPF_EXIST): a resizable map
 *    gives no direct access to the value, so the refresh is an update, and
 *    under the 'fail' policy it can meet -EBUSY (the refresh is then lost,
 *    the packet still passes: the lookup already classified it);
 *  - a close packet looks the entry up, then deletes it (-EBUSY leaves it
 *    to the garbage collector).
 * A later packet whose lookup misses is dropped (strict conntrack: no state,
 * no pass). With an overflow map (the talk's recovery idea), a first packet
 * the main map refuses with -EBUSY or -E2BIG goes to the overflow LRU while
 * it has room, and lookups that miss the main map try it. When the overflow
 * is at capacity the brand-new flow is refused rather than letting the LRU
 * evict an established one: a shared admission count, reserved with an
 * atomic add before the insert, keeps the overflow below its maxEntries, so
 * it never has to evict.
 */
export default defineProgram<State, ExperimentParams>({
  setup(ctx) {
    const flows = ctx.maps.flows;
    if (!flows) throw new TypeError('the conntrack program needs a map named "flows"');
    const o = ctx.params.overflow;
    const overflow = o ? ctx.maps.overflow : null;
    if (o && !overflow) throw new TypeError('params.overflow is set but no map named "overflow" was given');
    const value = new Uint8Array(CT_VALUE_SIZE);
    const out = new Uint8Array(CT_VALUE_SIZE);
    return {
      r: openReplay(ctx),
      flows,
      overflow: overflow ?? null,
      overflowCount: o ? new Int32Array(o.counter) : null,
      overflowCap: o ? o.capacity : 0,
      value,
      vw: new Uint32Array(value.buffer),
      out,
      ow: new Uint32Array(out.buffer),
    };
  },

  run(ctx, s, i) {
    const r = s.r;
    if (i >= r.nextTickAt) advance(r, i);
    const w = r.packets[i]!;
    const f = w >>> 2;
    const kind = w & 3;
    loadKey(r, f);
    count(r, C.packets);
    if (kind === KIND_NEW) create(ctx, s, f, i);
    else established(ctx, s, f, i, kind === KIND_CLOSE);
  },

  teardown(_ctx, s) {
    return finish(s.r);
  },
});

function create(ctx: ProgramContext<ExperimentParams>, s: State, f: number, i: number): void {
  const r = s.r;
  count(r, C.newFlows);
  const v = s.vw;
  const bytes = packetBytes(i);
  v[CT_STATE] = CT_NEW;
  v[CT_CPU] = r.cpu;
  v[CT_FLOW] = f;
  v[CT_CREATED] = r.tick;
  v[CT_LAST_SEEN] = r.tick;
  v[CT_PACKETS] = 1;
  v[CT_BYTES_LO] = bytes;
  v[CT_BYTES_HI] = 0;
  v[CT_IFINDEX] = 2;
  v[CT_SEC_ID] = r.dport[f]!;
  const res = ctx.update(s.flows, r.key, s.value, BPF_NOEXIST);
  if (res === 0) return admitted(r, f);
  if (res === -Errno.EEXIST) throw new Error(`flow ${f} of CPU ${r.cpu} already had an entry at its first packet: two flows share a key (workload bug)`);
  if (s.overflow !== null && (res === -Errno.EBUSY || res === -Errno.E2BIG)) return intoOverflow(ctx, s, f);
  refused(r, f, reasonOf(res));
}

function intoOverflow(ctx: ProgramContext<ExperimentParams>, s: State, f: number): void {
  const r = s.r;
  const n = s.overflowCount!;
  if (Atomics.add(n, 0, 1) >= s.overflowCap) {
    Atomics.sub(n, 0, 1);
    return refused(r, f, C.refusedOverflowFull);
  }
  const res = ctx.update(s.overflow!, r.key, s.value, BPF_NOEXIST);
  if (res !== 0) {
    Atomics.sub(n, 0, 1);
    return refused(r, f, reasonOf(res));
  }
  count(r, C.overflowAdmitted);
  admitted(r, f);
}

function established(ctx: ProgramContext<ExperimentParams>, s: State, f: number, i: number, close: boolean): void {
  const r = s.r;
  let m = s.flows;
  let res = ctx.lookup(m, r.key, s.out);
  if (res !== 0 && s.overflow !== null) {
    m = s.overflow;
    res = ctx.lookup(m, r.key, s.out);
  }
  if (res !== 0) return missed(r, f);
  count(r, C.accepted);
  if (close) {
    const d = ctx.delete(m, r.key);
    if (d === 0) {
      count(r, C.closes);
      if (m === s.overflow) Atomics.sub(s.overflowCount!, 0, 1);
    } else if (d === -Errno.EBUSY) count(r, C.closeLeaked);
    return;
  }
  const v = s.ow;
  const bytes = v[CT_BYTES_LO]! + packetBytes(i);
  v[CT_STATE] = CT_ESTABLISHED;
  v[CT_LAST_SEEN] = r.tick;
  v[CT_PACKETS]++;
  v[CT_BYTES_LO] = bytes >>> 0;
  if (bytes > 0xffffffff) v[CT_BYTES_HI]++;
  const u = ctx.update(m, r.key, s.out, BPF_EXIST);
  if (u === 0) return;
  count(r, C.refreshLost);
  // -EBUSY left the entry with an old last-seen tick, so the collector may
  // find it idle (-ENOENT: it was evicted after the lookup). The mark stays
  // even after a later refresh succeeds: the collector may have read the old
  // tick before that refresh and delete the entry after it.
  if (u === -Errno.EBUSY) r.flowState[f] |= FLOW_STALE;
}

function reasonOf(errno: number): number {
  if (errno === -Errno.E2BIG) return C.refusedE2BIG;
  if (errno === -Errno.EBUSY) return C.refusedEBUSY;
  if (errno === -Errno.ENOMEM) return C.refusedENOMEM;
  return C.refusedOther;
}
