import { parentPort, workerData } from 'node:worker_threads';
import { BPF_ANY, BPF_EXIST, BPF_NOEXIST, Errno, LockTimeoutError, QuiescenceDomain, attachMap, enterCpu, setDefaultDomain, type BpfMap, type MapHandle } from '@rightsize/engine';
import { ACK, LEDGER_KEYS, NEXT_STAMP, PAUSE, STOP, counterIndex, ledgerBase, ledgerHashKey, type Counter, COUNTER_SLOTS } from './layout.js';
import { KEYSPACE } from './maps.js';
import { stampInto, stampOf } from './values.js';

/**
 * One CPU of the soak: a free-running loop of random map operations on
 * every map, as a BPF program on CPU `cpu` would make them, checking every
 * value it reads (whole, never torn), keeping its ledger entries, trying a
 * hostile input now and then, and passing a quiescent point after every
 * batch. The main thread pauses it (PAUSE) to verify the maps, and may
 * terminate it at any moment (a CPU death); its replacement goes on with the
 * same CPU id and counters.
 */
export interface SoakWorkerData {
  cpu: number;
  incarnation: number;
  seed: number;
  domain: SharedArrayBuffer;
  maps: { name: string; handle: MapHandle; ledger: number; resizes: boolean }[];
  control: SharedArrayBuffer;
  counters: SharedArrayBuffer;
  ledger: SharedArrayBuffer;
  /** One operation in this many is a hostile input. */
  hostileEvery: number;
}

const d = workerData as SoakWorkerData;
const port = parentPort!;
const domain = QuiescenceDomain.attach(d.domain);
setDefaultDomain(domain);
enterCpu(d.cpu);
domain.cpuOnline(d.cpu);
const ctl = new Int32Array(d.control);
const counters = new Float64Array(d.counters, d.cpu * COUNTER_SLOTS * 8, COUNTER_SLOTS);
const ledger = new Int32Array(d.ledger);

interface Target {
  name: string;
  map: BpfMap;
  type: string;
  ledger: number;
  resizes: boolean;
  key: Uint8Array;
  value: Uint8Array;
  out: Uint8Array;
  /** Array types: random operations stay below this index (the ledger's indexes are above). */
  indexes: number;
}

const targets: Target[] = d.maps.map((m) => {
  const map = attachMap(m.handle);
  const arrayish = ['array', 'percpu_array', 'array_resize', 'array_of_maps'].includes(map.spec.type);
  return {
    name: m.name,
    map,
    type: map.spec.type,
    ledger: m.ledger,
    resizes: m.resizes,
    key: new Uint8Array(map.spec.keySize),
    value: new Uint8Array(map.spec.valueSize),
    out: new Uint8Array(map.spec.valueSize),
    indexes: arrayish ? Math.min(map.spec.maxEntries, KEYSPACE) : KEYSPACE,
  };
});

// xorshift32: cheap, and seeded per CPU and incarnation so runs differ.
let rs = (d.seed ^ Math.imul(d.cpu + 1, 0x9e3779b1) ^ Math.imul(d.incarnation + 1, 0x85ebca6b)) | 1;
function rand(): number {
  rs ^= rs << 13;
  rs ^= rs >>> 17;
  rs ^= rs << 5;
  return rs >>> 0;
}

function count(c: Counter, n = 1): void {
  counters[counterIndex[c]] = counters[counterIndex[c]]! + n;
}

let reported = 0;
function violation(what: string): void {
  count('unexpectedErrors');
  if (reported++ < 20) port.postMessage({ violation: `CPU ${d.cpu}: ${what}` });
}

function result(rc: number): void {
  if (rc === 0) count('ok');
  else if (rc === -Errno.EBUSY) count('ebusy');
  else if (rc === -Errno.E2BIG) count('e2big');
  else if (rc === -Errno.ENOMEM) count('enomem');
  else if (rc === -Errno.ENOENT) count('enoent');
  else if (rc === -Errno.EEXIST) count('eexist');
  else count('otherErrno');
}

function setKey(t: Target, n: number): void {
  t.key.fill(0);
  new DataView(t.key.buffer).setUint32(0, n >>> 0, true);
}

/** Reads that the value just copied to `out` is whole. */
function checkValue(t: Target, out: Uint8Array): void {
  if (stampOf(out) === null) {
    count('tornReads');
    violation(`${t.name}: torn value read: ${Buffer.from(out).toString('hex').slice(0, 64)}`);
  }
}

/**
 * The hash_resize maps breathe: each CPU alternates fill and drain phases of
 * 20 000 operations, so the entries swing between a few and thousands and
 * the watermarks keep growing and shrinking the tables.
 */
let opsDone = 0;
function filling(): boolean {
  return Math.floor(opsDone / 20_000) % 2 === 0;
}

function ledgerWrite(t: Target): void {
  const j = rand() % LEDGER_KEYS;
  const base = ledgerBase(t.ledger, d.cpu);
  const stamp = Atomics.add(ctl, NEXT_STAMP + d.cpu, 1) + 1;
  // In flight first: if this CPU dies during the update, the new stamp is allowed too.
  Atomics.store(ledger, base + LEDGER_KEYS, j);
  Atomics.store(ledger, base + LEDGER_KEYS + 1, stamp);
  if (t.type === 'array') setKey(t, t.indexes + d.cpu * LEDGER_KEYS + j);
  else setKey(t, ledgerHashKey(d.cpu, j));
  stampInto(t.value, stamp);
  const rc = t.map.update(t.key, t.value, BPF_ANY);
  result(rc);
  if (rc === 0) Atomics.store(ledger, base + j, stamp);
  else if (rc !== -Errno.EBUSY) violation(`${t.name}: ledger update of key ${j} returned ${rc}`);
  count('ledgerWrites');
}

function mapOp(t: Target): void {
  const m = t.map;
  const r = rand();
  const roll = r % 1000;
  if (t.ledger >= 0 && roll < 40) return ledgerWrite(t);
  if (t.resizes && roll >= 998) {
    count('resizeCalls');
    result((r & 1024) === 0 ? m.grow() : m.shrink());
    return;
  }
  const isResize = t.type === 'hash_resize';
  const writeRoll = isResize ? (filling() ? 300 : 100) : 300;
  const deleteRoll = isResize ? (filling() ? 60 : 450) : 100;
  setKey(t, rand() % t.indexes);
  if (roll < 40 + 400) {
    count('lookups');
    const rc = m.lookupInto(t.key, t.out);
    result(rc);
    if (rc === 0) checkValue(t, t.out);
  } else if (roll < 440 + writeRoll) {
    count('updates');
    stampInto(t.value, (rand() | 1) & 0x3fffffff);
    const flags = [BPF_ANY, BPF_ANY, BPF_NOEXIST, BPF_EXIST][r & 3]!;
    result(m.update(t.key, t.value, flags));
  } else if (roll < 440 + writeRoll + deleteRoll) {
    count('deletes');
    if ((r & 7) === 0 && t.type === 'hash') {
      const rc = m.lookupAndDeleteInto(t.key, t.out);
      result(rc);
      if (rc === 0) checkValue(t, t.out);
    } else result(m.delete(t.key));
  } else if (roll < 990) {
    count('lookups');
    const rc = m.lookupInto(t.key, t.out);
    result(rc);
    if (rc === 0) checkValue(t, t.out);
  } else {
    count('batches');
    const next = new Uint8Array(m.spec.keySize);
    result(m.getNextKey(t.key, next));
  }
}

/** array_of_maps: a program looks an inner map up and uses it. */
function innerOp(t: Target): void {
  const aom = t.map as BpfMap & { lookupMap(i: number): BpfMap | undefined };
  const inner = aom.lookupMap(rand() % aom.spec.maxEntries);
  if (!inner) {
    result(-Errno.ENOENT);
    return;
  }
  const key = new Uint8Array(4);
  new DataView(key.buffer).setUint32(0, rand() % 512, true);
  const v = new Uint8Array(inner.spec.valueSize);
  if ((rand() & 1) === 0) {
    count('updates');
    stampInto(v, (rand() | 1) & 0x3fffffff);
    result(inner.update(key, v, BPF_ANY));
  } else {
    count('lookups');
    const rc = inner.lookupInto(key, v);
    result(rc);
    if (rc === 0) checkValue(t, v);
  }
}

/**
 * A hostile input: a call a careless program could make. It must be refused
 * clearly: a TypeError/RangeError (programmer error) or a negative errno
 * (runtime condition), and it must change nothing (the verify passes check that).
 */
function hostile(t: Target): void {
  count('inputsTried');
  const m = t.map;
  const which = rand() % 8;
  try {
    let rc: number;
    switch (which) {
      case 0:
        rc = m.update(new Uint8Array(m.spec.keySize + 1), t.value);
        break;
      case 1:
        rc = m.update(t.key, t.value, 99);
        break;
      case 2:
        rc = m.atomicAdd(t.key, 3, 1);
        break;
      case 3:
        rc = m.lookupInto(t.key, new Uint8Array(Math.max(0, m.spec.valueSize - 1)));
        break;
      case 4:
        rc = m.getNextKey(t.key, new Uint8Array(m.spec.keySize + 3));
        break;
      case 5:
        rc = m.lookupBatch(null, -1).err;
        break;
      case 6:
        rc = m.update(t.key, new Uint8Array(m.spec.valueSize + 8));
        break;
      default:
        rc = m.delete(null as unknown as Uint8Array);
    }
    if (rc < 0) count('inputsRefused');
    else violation(`${t.name}: hostile input ${which} was accepted (${rc})`);
  } catch (e) {
    if (e instanceof TypeError || e instanceof RangeError) count('inputsRefused');
    else violation(`${t.name}: hostile input ${which} threw ${String(e)}`);
  }
}

function oneOp(): void {
  const t = targets[rand() % targets.length]!;
  count('ops');
  opsDone++;
  try {
    if (rand() % d.hostileEvery === 0) hostile(t);
    else if (t.type === 'array_of_maps') innerOp(t);
    else mapOp(t);
  } catch (e) {
    // A lock wait that timed out is the hang recovery must rule out (a lock
    // left held by a dead CPU, or by a live one that will never release it):
    // counted on its own, and a violation like any unexpected error.
    if (e instanceof LockTimeoutError) count('lockTimeouts');
    violation(`${t.name}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
}

function pause(epoch: number): void {
  Atomics.store(ctl, ACK + d.cpu, epoch);
  domain.cpuOffline(d.cpu);
  while (Atomics.load(ctl, PAUSE) === epoch && Atomics.load(ctl, STOP) === 0) Atomics.wait(ctl, PAUSE, epoch, 1000);
  domain.cpuOnline(d.cpu);
}

for (;;) {
  if (Atomics.load(ctl, STOP) !== 0) break;
  const epoch = Atomics.load(ctl, PAUSE);
  if (epoch !== 0) {
    pause(epoch);
    continue;
  }
  for (let i = 0; i < 128; i++) oneOp();
  domain.cpuQuiescent(d.cpu);
  count('quiescentPoints');
}
domain.cpuOffline(d.cpu);
for (const t of targets) t.map.close();
port.postMessage({ done: true });
