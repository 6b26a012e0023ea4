/**
 * Import rules checked by `pnpm check:cycles` (run by `pnpm test` before the
 * tests). Type-only imports count: a circle of types is still a circle a
 * reader has to untangle.
 */
/**
 * Folders under `root` in layers, bottom first: a folder may import folders
 * of lower layers only (never one of its own layer, never one above). Files
 * directly in `root` (the bench's entry points cli.ts, index.ts, schemas.ts;
 * the experiment's command.ts and charts.ts) may import any folder, and no
 * folder imports them.
 */
function layerRules(name, root, layers) {
  const rules = [];
  layers.forEach((layer, i) => {
    const notBelow = layers.slice(i).flat();
    for (const folder of layer) {
      const others = notBelow.filter((f) => f !== folder);
      if (others.length === 0) continue;
      rules.push({
        name: `${name}-one-way-${folder.replace(/\//g, '-')}`,
        severity: 'error',
        comment: `${root}${folder}/ may import only the folders below it (${layers.slice(0, i).flat().join(', ') || 'none'}): see docs/architecture.md`,
        from: { path: `^${root}${folder}/` },
        to: { path: `^${root}(${others.join('|')})/` },
      });
    }
  });
  rules.push({
    name: `${name}-own-files-on-top`,
    severity: 'error',
    comment: `the files directly in ${root} sit above its folders: no folder imports them`,
    from: { path: `^${root}[^/]+/` },
    to: { path: `^${root}[^/]+\\.ts$` },
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
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
  },
};
