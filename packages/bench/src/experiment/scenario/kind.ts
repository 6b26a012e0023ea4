/**
 * The kinds of scenario. Its own module because both the scenario parser and
 * the strategy ids (strategy-ids.ts) depend on it, and the parser depends on the strategy ids.
 */
export type ScenarioKind = 'conntrack' | 'sockmap';
