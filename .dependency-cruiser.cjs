/**
 * Import rules checked by `pnpm check:cycles` (run by `pnpm test` before the
 * tests). Type-only imports count: a circle of types is still a circle a
 * reader has to untangle.
 */
/**
 * Folders under `root` in layers, bottom first: a folder may import folders
 * of lower layers only (never one of its own layer, never one above). An
 * entry ending in `.ts` is one file (the engine's base files in maps/ sit
 * below its map type folders, its registry above them). Files directly in
 * `root` that no layer names (the bench's entry points cli.ts, index.ts,
 * schemas.ts; the experiment's command.ts and charts.ts) may import any
 * folder, and no folder imports them.
 */
function layerRules(name, root, layers) {
  const pattern = (entry) => (entry.endsWith('.ts') ? `${entry.replace(/\./g, '\\.')}$` : `${entry}/`);
  const rules = [];
  layers.forEach((layer, i) => {
    const notBelow = layers.slice(i).flat();
    for (const entry of layer) {
      const others = notBelow.filter((e) => e !== entry);
      if (others.length === 0) continue;
      rules.push({
        name: `${name}-one-way-${entry.replace(/[/.]/g, '-')}`,
        severity: 'error',
        comment: `${root}${entry} may import only the layers below it (${layers.slice(0, i).flat().join(', ') || 'none'}): see docs/architecture.md`,
        from: { path: `^${root}${pattern(entry)}` },
        to: { path: `^${root}(${others.map(pattern).join('|')})` },
      });
    }
  });
  const layered = layers.flat().filter((e) => !e.includes('/') && e.endsWith('.ts'));
  rules.push({
    name: `${name}-own-files-on-top`,
    severity: 'error',
    comment: `the files directly in ${root} that no layer names sit above its folders: no folder imports them`,
    from: { path: `^${root}[^/]+/` },
    to: { path: `^${root}[^/]+\\.ts$`, ...(layered.length > 0 ? { pathNot: `^${root}(${layered.map(pattern).join('|')})` } : {}) },
  });
  return rules;
}

/** The bench's folders (packages/bench/src/), bottom first. */
const BENCH_LAYERS = [
  ['cli', 'references'],
  ['programs'],
  ['harness'],
  ['report'],
  ['suites'],
  ['micro', 'experiment', 'soak'],
];

/** Inside the experiment (packages/bench/src/experiment/), bottom first; its own files (command.ts, charts.ts) sit on top. */
const EXPERIMENT_LAYERS = [
  ['scenario', 'accounting'],
  ['workload'],
  ['programs'],
  ['gc', 'strategies'],
  ['runner'],
  ['report'],
];

/**
 * The engine's folders (packages/engine/src/), bottom first. maps/ is split:
 * its base files (what every map is) sit below recovery/ and the chained
 * core, the map types above them, the registry (which imports every type)
 * above the types; verify/ reads every type; index.ts is on top.
 */
const ENGINE_LAYERS = [
  ['errno.ts', 'spec', 'hash', 'locks'],
  ['context.ts', 'memory', 'testing'],
  ['rcu'],
  ['maps/map.ts', 'maps/header.ts'],
  ['maps/base.ts', 'maps/lock-contracts.ts', 'recovery'],
  ['maps/chained'],
  ['maps/hash', 'maps/array', 'maps/hash-resize'],
  ['maps/lru', 'maps/array-resize', 'maps/array-of-maps'],
  ['maps/registry.ts'],
  ['verify'],
];

/** The workers package's folders (packages/workers/src/), bottom first: the machine runs CPUs (runtime), scripts and the agent. */
const WORKERS_LAYERS = [['util', 'types', 'runtime'], ['agent', 'script'], ['machine']];

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules must not import each other, directly or through others: dependencies run one way.',
      from: {},
      to: { circular: true },
    },
    ...layerRules('bench', 'packages/bench/src/', BENCH_LAYERS),
    ...layerRules('experiment', 'packages/bench/src/experiment/', EXPERIMENT_LAYERS),
    ...layerRules('workers', 'packages/workers/src/', WORKERS_LAYERS),
    ...layerRules('engine', 'packages/engine/src/', ENGINE_LAYERS),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
  },
};
