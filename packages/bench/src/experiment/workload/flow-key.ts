/**
 * A flow's key: its IPv4 5-tuple padded to 16 bytes, as a datapath's
 * conntrack or sockhash key (source address, destination address, source
 * port, destination port, protocol, three zero bytes). Addresses and ports
 * are in network byte order.
 *
 * Keys are unique per (cpu, flow): the source address is 10.<cpu>.<hi>.<lo>
 * with hi/lo the flow index's upper bits, the source port 32768 + its lower
 * 15 bits. So no two flows of a run share a key, and a key names its CPU,
 * as receive-side scaling pins a flow to one CPU.
 */
export const KEY_SIZE = 16;

/** How many flows one CPU can have (the source address and port hold the index). */
export const MAX_FLOWS_PER_CPU = 2 ** 31;

/**
 * Writes the key of flow `flow` of CPU `cpu` into `key` (16 bytes, its last
 * three bytes left zero), allocating nothing: this runs per packet.
 */
export function writeFlowKey(key: Uint8Array, cpu: number, flow: number, dstIp: number, dport: number, proto: number): void {
  const hi = flow >>> 15;
  key[0] = 10;
  key[1] = cpu;
  key[2] = (hi >>> 8) & 0xff;
  key[3] = hi & 0xff;
  key[4] = dstIp >>> 24;
  key[5] = (dstIp >>> 16) & 0xff;
  key[6] = (dstIp >>> 8) & 0xff;
  key[7] = dstIp & 0xff;
  const sport = 32768 + (flow & 0x7fff);
  key[8] = sport >>> 8;
  key[9] = sport & 0xff;
  key[10] = dport >>> 8;
  key[11] = dport & 0xff;
  key[12] = proto;
}

/** The CPU and flow index a key was made from (for dumps and tests). */
export function parseFlowKey(key: Uint8Array): { cpu: number; flow: number; dstIp: number; dport: number; proto: number } {
  const sport = (key[8]! << 8) | key[9]!;
  const hi = (key[2]! << 8) | key[3]!;
  return {
    cpu: key[1]!,
    flow: hi * 32768 + (sport - 32768),
    dstIp: ((key[4]! << 24) | (key[5]! << 16) | (key[6]! << 8) | key[7]!) >>> 0,
    dport: (key[10]! << 8) | key[11]!,
    proto: key[12]!,
  };
}

/** "10.0.0.5:32773 -> 10.96.1.2:443/tcp" */
export function describeFlowKey(key: Uint8Array): string {
  const ip = (o: number): string => `${key[o]}.${key[o + 1]}.${key[o + 2]}.${key[o + 3]}`;
  const sport = (key[8]! << 8) | key[9]!;
  const dport = (key[10]! << 8) | key[11]!;
  const proto = key[12] === 6 ? 'tcp' : key[12] === 17 ? 'udp' : String(key[12]);
  return `${ip(0)}:${sport} -> ${ip(4)}:${dport}/${proto}`;
}
