import { parentPort, workerData } from 'node:worker_threads';
import { QuiescenceDomain, attachMap, enterCpu, exitCpu, setDefaultDomain, type BpfMap } from '@rightsize/engine';
import { CpuContext } from '../runtime/context.js';
import { REGION_BYTES, controlWords, createRunBuffer } from '../runtime/run-buffer.js';
import { keyBytes } from '../util/keys.js';
import type { LookupResult, ScriptWorkerInit, StepReply, StepRequest } from './protocol.js';

/**
 * One CPU of a scenario script: a dedicated worker thread that is CPU `cpu`
 * for its whole life and runs the steps it is sent, one at a time. It is
 * online only while a step runs: between steps it holds no map memory, so an
 * idle script CPU never holds back a grace period.
 */
const init = workerData as ScriptWorkerInit;
const port = parentPort!;
const domains = init.domains.map((sab) => QuiescenceDomain.attach(sab));
setDefaultDomain(domains[0]!);
enterCpu(init.cpu);

const maps: Record<string, BpfMap> = {};
for (const [name, handle] of Object.entries(init.maps)) maps[name] = attachMap(handle);

// `call` steps get the same helpers a program gets; their counters go to a
// private buffer nobody reads, and `ctx.stop()` has no run to stop.
const own = createRunBuffer(1).sab;
const clock = new BigInt64Array(init.clock);
const ctx = new CpuContext({
  cpu: init.cpu,
  nCpus: init.nCpus,
  params: {},
  maps,
  region: new Float64Array(new SharedArrayBuffer(REGION_BYTES)),
  control: controlWords(own),
  epoch: Atomics.load(clock, 0),
  latencySampleEvery: 0,
});

function mapNamed(name: string): BpfMap {
  const m = maps[name];
  if (!m) throw new TypeError(`the script has no map named ${JSON.stringify(name)} (known: ${Object.keys(maps).join(', ') || 'none'})`);
  return m;
}

async function step(req: StepRequest): Promise<unknown> {
  switch (req.op) {
    case 'lookup':
    case 'lookupAndDelete': {
      const m = mapNamed(req.map);
      const out = new Uint8Array(m.spec.valueSize);
      const key = keyBytes(req.key!);
      const result = req.op === 'lookup' ? m.lookupInto(key, out) : m.lookupAndDeleteInto(key, out);
      const r: LookupResult = result === 0 ? { result, value: out } : { result };
      return r;
    }
    case 'update':
      return mapNamed(req.map).update(keyBytes(req.key), req.value, req.flags);
    case 'delete':
      return mapNamed(req.map).delete(keyBytes(req.key!));
    case 'atomicAdd':
      return mapNamed(req.map).atomicAdd(keyBytes(req.key), req.byteOffset, req.delta);
    case 'grow':
      return mapNamed(req.map).grow();
    case 'shrink':
      return mapNamed(req.map).shrink();
    case 'stats':
      return mapNamed(req.map).stats();
    case 'call': {
      const mod = (await import(req.module)) as Record<string, unknown>;
      const fn = mod[req.fn];
      if (typeof fn !== 'function') throw new TypeError(`${req.module} exports no function named ${JSON.stringify(req.fn)}`);
      return await (fn as (...a: unknown[]) => unknown)(ctx, ...req.args);
    }
    case 'close':
      return undefined;
  }
}

/** Runs one step and replies; it never throws (every failure becomes the reply). */
async function answer(req: StepRequest): Promise<void> {
  let reply: StepReply;
  for (const d of domains) d.cpuOnline(init.cpu);
  try {
    reply = { id: req.id, ok: true, value: await step(req) };
  } catch (err) {
    reply = { id: req.id, ok: false, message: err instanceof Error ? err.message : String(err) };
    if (err instanceof Error && err.stack !== undefined) reply.stack = err.stack;
  } finally {
    for (const d of domains) d.cpuOffline(init.cpu);
  }
  if (req.op === 'close') {
    for (const m of Object.values(maps)) m.close();
    exitCpu();
  }
  try {
    port.postMessage(reply);
  } catch (err) {
    port.postMessage({ id: req.id, ok: false, message: `the step's result cannot be sent to the main thread: ${(err as Error).message}` } satisfies StepReply);
  }
  if (req.op === 'close') port.close();
}

port.on('message', (req: StepRequest) => void answer(req));

port.postMessage({ ready: true });
