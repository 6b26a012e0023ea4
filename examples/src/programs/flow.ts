/**
 * Flows as an XDP program sees them: the 5-tuple of a packet is the map key,
 * a counter of packets and bytes is the value.
 */
export const FLOW_KEY_SIZE = 16;
export const FLOW_VALUE_SIZE = 8;
/** Byte offsets of the two u32 counters in a flow's value. */
export const PACKETS_AT = 0;
export const BYTES_AT = 4;

/**
 * The key of flow n: saddr 10.0.x.y, daddr 192.168.0.1, sport 1024+n,
 * dport 443, proto TCP (6), 3 bytes of padding, network byte order.
 */
export function flowKey(n: number): Uint8Array {
  const key = new Uint8Array(FLOW_KEY_SIZE);
  const v = new DataView(key.buffer);
  v.setUint32(0, (10 << 24) | (n & 0xffff), false);
  v.setUint32(4, (192 << 24) | (168 << 16) | 1, false);
  v.setUint16(8, 1024 + (n % 60000), false);
  v.setUint16(10, 443, false);
  key[12] = 6;
  return key;
}

/** "10.0.0.3:1027 -> 192.168.0.1:443 tcp" */
export function describeFlow(key: Uint8Array): string {
  const v = new DataView(key.buffer, key.byteOffset, key.byteLength);
  const ip = (a: number) => [a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255].join('.');
  return `${ip(v.getUint32(0, false))}:${v.getUint16(8, false)} -> ${ip(v.getUint32(4, false))}:${v.getUint16(10, false)} ${key[12] === 6 ? 'tcp' : `proto ${key[12]}`}`;
}

/**
 * The synthetic traffic: which flow packet i of a CPU belongs to and its
 * length, the same on every run. A multiplicative hash gives r uniform in
 * [0, 1); flow floor(r^2 * flows) makes low flow numbers heavy hitters (flow 0
 * carries 1/sqrt(flows) of the packets), as real traffic has a few elephants
 * and many mice.
 */
export function packetFlow(cpu: number, i: number, flows: number): number {
  const r = (Math.imul(i + cpu * 7919, 0x9e3779b1) >>> 0) / 4294967296;
  return Math.floor(r * r * flows);
}

export function packetLength(cpu: number, i: number): number {
  return 64 + ((Math.imul(i ^ (cpu << 20), 0x85ebca6b) >>> 0) % 1437);
}
