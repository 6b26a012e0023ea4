// Functions a scenario script runs on a CPU with script.on(cpu).call(...).
import { BPF_NOEXIST } from '@rightsize/engine';

/** Inserts keys from..from+n-1 with BPF_NOEXIST through the program helpers; returns each result. */
export function insertRange(ctx, map, from, n) {
  const results = [];
  const value = new Uint8Array(4);
  for (let k = from; k < from + n; k++) results.push(ctx.updateU32(ctx.maps[map], k, value, BPF_NOEXIST));
  return results;
}

export function whoami(ctx) {
  return { cpu: ctx.smpProcessorId(), nCpus: ctx.nCpus };
}

/** A step that never returns (the script kills the CPU). */
export function spin() {
  for (;;);
}
