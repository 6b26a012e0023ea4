/**
 * One CPU's packet stream, in SharedArrayBuffers so that every run of the
 * experiment (one per strategy) and every CPU worker reads the same bytes
 * without a copy. A packet is one Int32: the flow's index on this CPU
 * shifted left by 2, and its kind in the low 2 bits.
 */
export const KIND_NEW = 0;
/** A packet of a flow that is neither its first nor its last. */
export const KIND_DATA = 1;
/** The last packet of a flow that closes (FIN/RST): the datapath deletes the entry. */
export const KIND_CLOSE = 2;
/** The last packet of a flow that just stops: its entry waits for the garbage collector. */
export const KIND_LAST = 3;

export const KIND_NAMES = ['new', 'data', 'close', 'last'] as const;

/** What a CPU needs to replay its stream (structured-cloneable: only SharedArrayBuffers and numbers). */
export interface CpuStreamBuffers {
  cpu: number;
  /** Packets this CPU processes (every CPU the same count). */
  length: number;
  /** Int32 per packet: flow << 2 | kind. */
  packets: SharedArrayBuffer;
  /** Int32 per tick + 1: index of the tick's first packet; the last entry is `length`. */
  tickStart: SharedArrayBuffer;
  /** Per flow: destination address (Uint32), destination port (Uint16), protocol (Uint8). */
  flowDst: SharedArrayBuffer;
  flowDport: SharedArrayBuffer;
  flowProto: SharedArrayBuffer;
  /** Flows this CPU starts. */
  flows: number;
}

/** Typed views of a CPU's stream. */
export interface CpuStream {
  cpu: number;
  length: number;
  packets: Int32Array;
  tickStart: Int32Array;
  flowDst: Uint32Array;
  flowDport: Uint16Array;
  flowProto: Uint8Array;
  flows: number;
}

export function streamViews(b: CpuStreamBuffers): CpuStream {
  return {
    cpu: b.cpu,
    length: b.length,
    packets: new Int32Array(b.packets, 0, b.length),
    tickStart: new Int32Array(b.tickStart),
    flowDst: new Uint32Array(b.flowDst),
    flowDport: new Uint16Array(b.flowDport),
    flowProto: new Uint8Array(b.flowProto),
    flows: b.flows,
  };
}
