// Lint for the whole workspace: type-aware rules from typescript-eslint.
// Kept to rules that catch real bugs in this code base (a promise nobody
// awaits ends a worker's error unseen; unused code hides dead paths) and a
// line length, so that a reader never scrolls sideways.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/*.mjs', '**/*.cjs', '**/*.js', 'results/**', 'docs/**'] },
  {
    // src/ is in each package's tsconfig; the tests are in their own
    // (packages/*/test/tsconfig.json, examples/test/tsconfig.json: no emit,
    // type-checked by `pnpm check:types`), so the same type-aware rules hold
    // for them: a test that forgets to await a promise passes without
    // checking anything.
    files: ['packages/*/src/**/*.ts', 'examples/src/**/*.ts', 'packages/*/test/**/*.ts', 'examples/test/**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'max-len': ['error', { code: 200, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreComments: false, ignoreUrls: true }],
    },
  },
);
