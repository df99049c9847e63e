// ESLint flat config: recommended rules plus type-aware promise checks for all TypeScript, and
// for workflows/ the Temporal sandbox rules (no Node built-ins, no activity/worker/client/core code).

import { builtinModules } from 'node:module';
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [...new Set(builtinModules.map((name) => name.replace(/^node:/, '')))];
const sandboxMessage = 'Workflows run in the Temporal sandbox: import this only as a type and do the work in activities.';

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', '.tools/', 'bench/results/', 'coverage/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { module: 'writable', require: 'readonly', process: 'readonly', __dirname: 'readonly', console: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.flatMap((name) => [
              { name, message: 'Workflows cannot use Node built-ins.' },
              { name: `node:${name}`, message: 'Workflows cannot use Node built-ins.' },
            ]),
            ...['@temporalio/activity', '@temporalio/worker', '@temporalio/client', '@temporalio/testing'].map(
              (name) => ({ name, message: sandboxMessage, allowTypeImports: true }),
            ),
          ],
          patterns: [
            {
              regex: '^(\\.\\./)+(core|activities|storage|worker|api|cli)(/|$)',
              message: sandboxMessage,
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
);
