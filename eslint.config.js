// ESLint for the whole repository: `npm run lint` (and `npm test`, through
// `pretest`). Syntax-only rules (no type information), so a run stays within
// seconds; `tsc` does the type checking.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

/**
 * `eslint-disable` must say why on the same line
 * (`// eslint-disable-next-line rule -- the reason`), issue 11.
 */
const local = {
  rules: {
    'disable-needs-reason': {
      meta: { type: 'suggestion', docs: { description: 'eslint-disable comments carry a `-- reason`' }, schema: [], messages: { missing: 'Say why after `--` on the same line.' } },
      create(context) {
        return {
          Program() {
            for (const c of context.sourceCode.getAllComments()) {
              if (/^\s*eslint-disable(?:-next-line|-line)?\b/.test(c.value) && !/\s--\s*\S/.test(c.value)) context.report({ loc: c.loc, messageId: 'missing' });
            }
          },
        };
      },
    },
  },
};

export default defineConfig(
  globalIgnores(['**/node_modules/', 'dist/', 'web/dist/', 'bench/.data/', 'bench/results/']),
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts', 'web/src/**/*.{ts,tsx}', 'web/vite.config.ts', 'eslint.config.js'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    plugins: { local },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      'local/disable-needs-reason': 'error',
      // `_` marks a parameter a callback's shape requires but the body does not use.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // `let timer; const stop = () => clearTimeout(timer); timer = setTimeout(stop, ms)`:
      // a closure that reads the binding before its one assignment cannot use const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // Off: every control-character class here is deliberate (errors/index.ts `oneLine`
      // escapes them from names in messages); tsc and review catch a stray one.
      'no-control-regex': 'off',
    },
  },
  {
    // Tests read JSON answers as `any` and assert their shape field by field;
    // typing each answer would repeat src/api/types.ts in every test.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['web/src/**/*.{ts,tsx}'],
    extends: [reactHooks.configs.flat.recommended],
    rules: {
      // A missing dependency is a stale-closure bug, not a style point.
      'react-hooks/exhaustive-deps': 'error',
    },
  },
);
