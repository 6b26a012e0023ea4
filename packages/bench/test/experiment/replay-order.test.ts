import { describe, expect, it } from 'vitest';
import { DIGEST_SEED, foldKey } from '../../src/experiment/programs/replay.js';
import { KEY_SIZE, writeFlowKey } from '../../src/experiment/workload/flow-key.js';
import type { Workload } from '../../src/experiment/workload/generate.js';
import { streamViews } from '../../src/experiment/workload/stream.js';
import { runSmall, strategy } from './support/small.js';

/** The digest of every key of CPU c's stream, in stream order: what that CPU must have processed. */
function expectedDigest(w: Workload, cpu: number): number {
  const s = streamViews(w.streams[cpu]!);
  const key = new Uint8Array(KEY_SIZE);
  const words = new Uint32Array(key.buffer);
  let h = DIGEST_SEED;
  for (let i = 0; i < s.length; i++) {
    const f = s.packets[i]! >>> 2;
    writeFlowKey(key, cpu, f, s.flowDst[f]!, s.flowDport[f]!, s.flowProto[f]!);
    h = foldKey(h, words);
  }
  return h;
}

// End to end: each CPU worker replays exactly its own stream, every packet
// once and in order (a digest over the keys it processed, taken in the
// program), and a second run with the same seed replays the same again.
describe('the CPUs replay the workload', () => {
  it('each CPU processes the keys of its stream in stream order, the same in two runs', async () => {
    const first = await runSmall(['hash-worst']);
    const second = await runSmall(['hash-worst']);
    const a = strategy(first, 'hash-worst').run;
    const b = strategy(second, 'hash-worst').run;
    expect(a.error).toBeNull();
    expect(a.cpus).toHaveLength(2);
    for (const c of a.cpus) {
      expect(c.packets).toBe(first.workload.packetsPerCpu);
      expect(c.digest).toBe(expectedDigest(first.workload, c.cpu));
    }
    expect(b.cpus.map((c) => c.digest)).toEqual(a.cpus.map((c) => c.digest));
    expect(a.cpus[0]!.digest).not.toBe(a.cpus[1]!.digest);
  }, 120_000);
});
