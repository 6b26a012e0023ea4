/**
 * The values the programs store, as little-endian u32 words.
 *
 * A conntrack entry is 56 bytes, the size the talk quotes for Cilium's CT
 * entries: state, owner CPU, flow, created and last-seen ticks (the virtual
 * clock of the workload), packet and byte counters, and the fields a real
 * entry carries that this datapath only stores (flags, ifindex, reverse-NAT
 * index, security identity).
 */
export const CT_VALUE_SIZE = 56;
export const CT_STATE = 0;
export const CT_CPU = 1;
export const CT_FLOW = 2;
export const CT_CREATED = 3;
export const CT_LAST_SEEN = 4;
export const CT_PACKETS = 5;
export const CT_BYTES_LO = 6;
export const CT_BYTES_HI = 7;
export const CT_FLAGS = 8;
export const CT_IFINDEX = 9;
export const CT_REV_NAT = 10;
export const CT_SEC_ID = 11;

/** Connection states: created by the first packet, established by the second. */
export const CT_NEW = 1;
export const CT_ESTABLISHED = 2;

/** A sockhash value: the socket's cookie (u64: the flow index, then the CPU). */
export const SOCK_VALUE_SIZE = 8;

/** Per-flow knowledge of a CPU (the experiment's ground truth, not the datapath's). */
export const FLOW_UNSEEN = 0;
export const FLOW_ADMITTED = 1;
export const FLOW_REFUSED = 2;
export const FLOW_BROKEN = 3;
/** The low two bits hold the state above. */
export const FLOW_STATE_MASK = 3;
/** Set once a refresh of the flow failed with -EBUSY: its entry's last-seen tick fell behind, so the collector may have found it idle. */
export const FLOW_STALE = 4;

/** Bytes of packet i: 64..1500, spread deterministically. */
export function packetBytes(i: number): number {
  return 64 + ((Math.imul(i, 0x9e3779b1) >>> 0) % 1437);
}
