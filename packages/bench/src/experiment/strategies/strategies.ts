import { createMap, type BpfMap, type MapSpec, type MapStats } from '@rightsize/engine';
import { CT_VALUE_SIZE, SOCK_VALUE_SIZE } from '../programs/entries.js';
import type { Scenario } from '../scenario/scenario.js';
import { KEY_SIZE } from '../workload/flow-key.js';
import type { StrategyId } from '../scenario/strategy-ids.js';

/** A strategy made concrete for a scenario: the specs of its maps and how to read it. */
export interface StrategyPlan {
  id: StrategyId;
  /** One line for the table. */
  label: string;
  /** The main map's name in the program ("flows" for conntrack, "socks" for sockmap) and spec. */
  mapName: string;
  spec: MapSpec;
  /** The recovery strategy's overflow LRU. */
  overflowSpec: MapSpec | null;
}

/** The maps of a strategy, created after Machine.start (so they join its quiescence domain). */
export interface StrategyMaps {
  main: BpfMap;
  overflow: BpfMap | null;
}

/** hash_resize starts at its smallest table (the engine's minimum): it starts small, and grows with the load. */
export const RESIZE_START_BUCKETS = 4;

const LABELS: Record<StrategyId, string> = {
  'hash-normal': 'hash sized for normal',
  'hash-worst': 'hash sized for worst case',
  'lru-normal': 'lru_hash sized for normal',
  'resize-fail': 'hash_resize, EBUSY fails',
  'resize-retry': 'hash_resize, EBUSY retries',
  'resize-help': 'hash_resize, EBUSY helps',
  'resize-overflow': 'hash_resize + overflow LRU',
  'resize-adaptive': 'hash_resize, adaptive controller (EBUSY fails)',
};

export function planStrategy(s: Scenario, id: StrategyId, nCpus: number): StrategyPlan {
  const valueSize = s.kind === 'conntrack' ? CT_VALUE_SIZE : SOCK_VALUE_SIZE;
  const base = { keySize: KEY_SIZE, valueSize, nCpus };
  const z = s.sizing;
  // With a runtime bound (tracing), hash_resize starts at the bound's
  // initial value, with no ceiling (none is needed: the pool's chunk
  // directory grows in pages), and the agent raises it as the entries come.
  const resizable = (ebusyPolicy: 'fail' | 'retry' | 'help', controller: 'watermarks' | 'adaptive' = 'watermarks'): MapSpec => ({
    ...base,
    type: 'hash_resize',
    maxEntries: s.bound ? s.bound.initial : z.worstCase,
    resize: {
      ...(controller === 'adaptive' ? { controller } : {}),
      initialBuckets: RESIZE_START_BUCKETS,
      ebusyPolicy,
      driver: s.resize.driver,
      growAt: s.resize.growAt,
      shrinkAt: s.resize.shrinkAt,
      retries: s.resize.retries,
    },
  });
  let spec: MapSpec;
  let overflowSpec: MapSpec | null = null;
  switch (id) {
    case 'hash-normal':
      spec = { ...base, type: 'hash', maxEntries: z.normal };
      break;
    case 'hash-worst':
      spec = { ...base, type: 'hash', maxEntries: z.worstCase };
      break;
    case 'lru-normal':
      spec = { ...base, type: 'lru_hash', maxEntries: z.normal };
      break;
    case 'resize-fail':
      spec = resizable('fail');
      break;
    case 'resize-retry':
      spec = resizable('retry');
      break;
    case 'resize-help':
      spec = resizable('help');
      break;
    case 'resize-adaptive':
      spec = resizable('fail', 'adaptive');
      break;
    case 'resize-overflow':
      // The main map fails fast (-EBUSY, as the kernel would): the overflow is the recovery.
      spec = resizable('fail');
      overflowSpec = { ...base, type: 'lru_hash', maxEntries: z.overflow };
      break;
  }
  return { id, label: LABELS[id], mapName: s.kind === 'conntrack' ? 'flows' : 'socks', spec, overflowSpec };
}

export function createStrategyMaps(plan: StrategyPlan): StrategyMaps {
  const main = createMap(plan.spec);
  try {
    return { main, overflow: plan.overflowSpec ? createMap(plan.overflowSpec) : null };
  } catch (err) {
    main.destroy();
    throw err;
  }
}

const RESIZER_READY_MS = 10_000;

/**
 * Gets a hash_resize map's resizer going before the run, from this thread.
 *
 * The engine starts a map's resizer thread (the 'deferred' driver) on the
 * first resize request, from whichever thread makes it: in a run, a CPU
 * worker, while both cores are busy. Starting a thread and loading the engine
 * in it takes about 200 ms on an idle machine and far longer on a loaded one,
 * and meanwhile the full first table refuses every insert (-EBUSY under the
 * 'fail' policy) and no shrink happens: the experiment would measure thread
 * start-up, not the EBUSY policies. So the runner asks for one grow here
 * (4 -> 8 buckets), which starts the thread, and waits until the resizer has
 * finished it and shrunk the empty table back to its minimum (its own
 * watermark rule). Only public API: grow() and stats(). The resizes this
 * costs are the baseline the report subtracts.
 */
export async function readyResizer(map: BpfMap): Promise<MapStats> {
  if (map.spec.type !== 'hash_resize') return map.stats();
  const r = map.grow();
  if (r !== 0) throw new Error(`readying hash_resize: grow() returned ${r}`);
  const t0 = performance.now();
  for (;;) {
    const st = map.stats();
    if (st.state === 'idle' && st.buckets === RESIZE_START_BUCKETS && (st.shrinks as number) >= 1 && st.pendingReclaim === 0) return st;
    if (performance.now() - t0 > RESIZER_READY_MS) throw new Error(`readying hash_resize: the resizer did not grow and shrink back within ${RESIZER_READY_MS} ms (${JSON.stringify(st)})`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

export function destroyStrategyMaps(m: StrategyMaps): void {
  m.main.destroy();
  m.overflow?.destroy();
}
