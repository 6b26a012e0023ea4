import type { ScenarioKind } from './kind.js';

/** Every sizing strategy the experiment knows, as scenario files name them. */
export const STRATEGY_IDS = ['hash-normal', 'hash-worst', 'lru-normal', 'resize-fail', 'resize-retry', 'resize-help', 'resize-overflow', 'resize-adaptive'] as const;

export type StrategyId = (typeof STRATEGY_IDS)[number];

/**
 * Which strategies make sense for a kind of scenario. A socket map has no
 * LRU variant in the kernel (an evicted socket would silently lose its
 * redirect), and the overflow idea is the talk's answer for conntrack.
 */
export function strategiesFor(kind: ScenarioKind): StrategyId[] {
  return kind === 'conntrack' ? [...STRATEGY_IDS] : ['hash-normal', 'hash-worst', 'resize-fail', 'resize-retry', 'resize-help', 'resize-adaptive'];
}

export function defaultStrategies(kind: ScenarioKind): StrategyId[] {
  return kind === 'conntrack' ? [...STRATEGY_IDS] : ['hash-normal', 'hash-worst', 'resize-fail', 'resize-help', 'resize-adaptive'];
}
