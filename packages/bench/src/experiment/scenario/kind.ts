/**
 * The kinds of scenario. Its own module because both the scenario parser and
 * the strategy list depend on it, and the parser depends on the strategy list.
 */
export type ScenarioKind = 'conntrack' | 'sockmap';
