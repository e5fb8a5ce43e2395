// Bundles: the extension (cjs, node, vscode external), the scanner worker, the CLI, and the webview (iife, browser).
const esbuild = require('esbuild');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** Prints errors in the format the $esbuild-watch problem matcher reads. */
const problemMatcher = {
  name: 'esbuild-problem-matcher',
  setup(build) {
    build.onStart(() => {
      if (watch) console.log('[watch] build started');
    });
    build.onEnd((result) => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
      if (watch) console.log('[watch] build finished');
    });
  },
};

/**
 * esbuild turns `import * as fs from 'node:fs'` into `__toESM(require("node:fs"))`: a copy of the
 * module with a getter per export, made when each importing module loads (44 times in the CLI's
 * engine, a few milliseconds of its start) and called on every `fs.x` after. Node's built-in
 * modules are plain objects and our code never imports their default export, so the bundles
 * require them directly. A bundle that reads `.default` of one fails the build.
 */
const plainNodeBuiltins = {
  name: 'plain-node-builtins',
  setup(build) {
    const fs = require('node:fs');
    const path = require('node:path');
    build.initialOptions.metafile = true;
    build.onEnd((result) => {
      if (result.errors.length > 0 || !result.metafile) return;
      const cwd = build.initialOptions.absWorkingDir ?? process.cwd();
      for (const out of Object.keys(result.metafile.outputs).filter((o) => o.endsWith('.js'))) {
        const file = path.resolve(cwd, out);
        const code = fs.readFileSync(file, 'utf8');
        const wrapped = /\b(\w+) = __toESM\(require\("(node:[\w/]+)"\)\);/g;
        for (const m of code.matchAll(wrapped)) if (code.includes(`${m[1]}.default`)) return { errors: [{ text: `${out}: ${m[1]}.default of ${m[2]} is read; it cannot be required plainly` }] };
        const plain = code.replace(wrapped, '$1 = require("$2");');
        if (plain !== code) fs.writeFileSync(file, plain);
      }
    });
  },
};

// Keys the CLI's warm report cache to the code that wrote it.
const pkg = require('./package.json');
const define = { __TAXIMETER_BUILD__: JSON.stringify(`${pkg.version}+${Date.now().toString(36)}`) };

const common = {
  bundle: true,
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: 'warning',
  plugins: [problemMatcher, plainNodeBuiltins],
  // jsonc-parser's `main` is a UMD build whose inner requires a bundler cannot follow; use its ES module.
  alias: { 'jsonc-parser': './node_modules/jsonc-parser/lib/esm/main.js' },
};

const builds = [
  // Banner and footer note when the bundle starts and ends running: activation is measured with loading the code.
  {
    ...common,
    entryPoints: ['src/extension.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    banner: { js: '"use strict";\nvar __taximeterLoadStart = [performance.now(), process.threadCpuUsage ? process.threadCpuUsage() : undefined];' },
    footer: { js: 'var __taximeterLoadEnd = [performance.now(), process.threadCpuUsage ? process.threadCpuUsage() : undefined];' },
  },
  { ...common, entryPoints: ['src/engine/worker.ts'], outfile: 'dist/worker.js', platform: 'node', format: 'cjs', target: 'node20' },
  // The parse helper loads only the transcript reader at start (a thread the CLI starts while it
  // loads); the other agents' readers (dist/helper-sources.js) when it first meets one of their files.
  { ...common, entryPoints: ['src/engine/parse-worker.ts'], outfile: 'dist/parse-worker.js', platform: 'node', format: 'cjs', target: 'node20', external: ['./helper-sources'] },
  { ...common, entryPoints: { 'helper-sources': 'src/engine/helper-sources.ts' }, outdir: 'dist', platform: 'node', format: 'cjs', target: 'node20' },
  { ...common, entryPoints: { main: 'webview/main.ts' }, outdir: 'dist/webview', platform: 'browser', format: 'iife', target: 'es2022' },
  { ...common, entryPoints: { main: 'webview/styles.css' }, outdir: 'dist/webview', loader: { '.css': 'css' } },
  { ...common, entryPoints: ['src/cli/bin.ts'], outfile: 'dist/cli.js', platform: 'node', format: 'cjs', target: 'node20', banner: { js: '#!/usr/bin/env node' }, define },
  { ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli-main.js', platform: 'node', format: 'cjs', target: 'node20', define },
];

/** WebAssembly the bundles load at run time from their own folder (dist/). */
const wasmAssets = ['node_modules/node-sqlite3-wasm/dist/node-sqlite3-wasm.wasm'];

async function main() {
  const fs = require('node:fs');
  const path = require('node:path');
  fs.mkdirSync('dist', { recursive: true });
  for (const asset of wasmAssets) fs.copyFileSync(asset, path.join('dist', path.basename(asset)));
  const entries = builds.filter((b) => Object.values(b.entryPoints).every((e) => fs.existsSync(e)));
  if (watch) {
    for (const b of entries) await (await esbuild.context(b)).watch();
  } else {
    await Promise.all(entries.map((b) => esbuild.build(b)));
  }
}

// Tests build single bundles from this list (the parse helper's layout: test/unit/index.test.ts).
module.exports = { builds };

if (require.main === module)
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
