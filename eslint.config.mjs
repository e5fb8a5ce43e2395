// Flat config: typescript-eslint recommended + type-checked rules, and the module boundaries
// of CONTRIBUTING.md enforced per folder.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const noVscode = { name: 'vscode', message: "Only src/vscode/ and src/extension.ts may import 'vscode'." };
const nodeIo = ['node:fs', 'fs', 'node:child_process', 'child_process', 'node:worker_threads', 'worker_threads', 'node:net', 'node:http', 'node:https', 'http', 'https', 'net'];

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', 'media/**', '.vscode-test/**', 'bench-data/**', 'webview/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  { files: ['src/**/*.ts', 'webview/**/*.ts', 'test/**/*.ts'], rules: { 'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'No default exports.' }] } },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [noVscode, ...nodeIo.map((name) => ({ name, message: 'core/ is pure: no I/O.' }))], patterns: [{ group: ['../sources/*', '../engine/*', '../vscode/*', '../cli/*', '../protocol/*'], message: 'core/ imports only core/.' }] }],
    },
  },
  {
    // The JSON projection: compute only (a wasm module over bytes it is given).
    files: ['src/wasm/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [noVscode, ...nodeIo.map((name) => ({ name, message: 'wasm/ is pure: no I/O.' }))], patterns: [{ group: ['../*/*'], message: 'wasm/ imports only wasm/.' }] }] },
  },
  {
    files: ['src/sources/**/*.ts', 'src/engine/**/*.ts', 'src/cli/**/*.ts', 'src/connect/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [noVscode], patterns: [{ group: ['../vscode/*', '../../vscode/*'], message: 'Only the glue may use the glue.' }] }] },
  },
  {
    files: ['test/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  { files: ['**/*.js', '**/*.mjs', '**/*.cjs'], ...tseslint.configs.disableTypeChecked },
  { files: ['esbuild.js', '**/*.cjs'], languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', process: 'readonly', console: 'readonly', module: 'writable', __dirname: 'readonly', performance: 'readonly', setTimeout: 'readonly' } }, rules: { '@typescript-eslint/no-require-imports': 'off' } },
  { files: ['scripts/**/*.mjs'], languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly' } } },
);
