import { BPF_NOEXIST, Errno, type BpfMap } from '@rightsize/engine';
import { defineProgram } from '@rightsize/workers';
import { C } from '../accounting/tally.js';
import { KIND_CLOSE, KIND_NEW } from '../workload/stream.js';
import { FLOW_ADMITTED, SOCK_VALUE_SIZE } from './entries.js';
import { admitted, advance, count, finish, loadKey, missed, openReplay, refused, type ExperimentParams, type Replay } from './replay.js';

interface State {
  r: Replay;
  socks: BpfMap;
  cookie: Uint8Array;
  cw: Uint32Array;
  out: Uint8Array;
}

/**
 * The talk's sockhash case: local connections glued together by a socket
 * map. One event per packet of a local connection:
 *  - the first packet is the end of the three-way handshake: the sockops
 *    hook adds the socket (its cookie) under the connection's 5-tuple
 *    (BPF_NOEXIST). When the map refuses (full: -E2BIG; resizing: -EBUSY)
 *    the connection falls back to the normal network path for its life;
 *  - a later packet is redirected through the map when its socket is found
 *    (the fast path), else it takes the slow path (counted: refused when the
 *    connection fell back at its handshake, broken if it had been added);
 *  - the close removes the socket (the kernel's unhash callback). A delete
 *    that meets -EBUSY leaves a stale socket in the map: counted as leaked,
 *    since nothing else will remove it.
 */
export default defineProgram<State, ExperimentParams>({
  setup(ctx) {
    const socks = ctx.maps.socks;
    if (!socks) throw new TypeError('the sockmap program needs a map named "socks"');
    const cookie = new Uint8Array(SOCK_VALUE_SIZE);
    return { r: openReplay(ctx), socks, cookie, cw: new Uint32Array(cookie.buffer), out: new Uint8Array(SOCK_VALUE_SIZE) };
  },

  run(ctx, s, i) {
    const r = s.r;
    if (i >= r.nextTickAt) advance(r, i);
    const w = r.packets[i]!;
    const f = w >>> 2;
    const kind = w & 3;
    loadKey(r, f);
    count(r, C.packets);
    if (kind === KIND_NEW) {
      count(r, C.newFlows);
      s.cw[0] = f;
      s.cw[1] = r.cpu;
      const res = ctx.update(s.socks, r.key, s.cookie, BPF_NOEXIST);
      if (res === 0) admitted(r, f);
      else if (res === -Errno.EEXIST) throw new Error(`socket ${f} of CPU ${r.cpu} was already in the map at its handshake: two connections share a key (workload bug)`);
      else refused(r, f, res === -Errno.E2BIG ? C.refusedE2BIG : res === -Errno.EBUSY ? C.refusedEBUSY : res === -Errno.ENOMEM ? C.refusedENOMEM : C.refusedOther);
      return;
    }
    if (kind === KIND_CLOSE) {
      const d = ctx.delete(s.socks, r.key);
      if (d === 0) {
        count(r, C.accepted);
        count(r, C.closes);
      } else if (d === -Errno.EBUSY && r.flowState[f] === FLOW_ADMITTED) {
        count(r, C.accepted);
        count(r, C.closeLeaked);
      } else missed(r, f);
      return;
    }
    if (ctx.lookup(s.socks, r.key, s.out) === 0) count(r, C.accepted);
    else missed(r, f);
  },

  teardown(_ctx, s) {
    return finish(s.r);
  },
});
