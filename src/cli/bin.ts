/**
 * Entry point of the `taximeter` command (bundled to dist/cli.js). Kept tiny: when nothing changed
 * since the last identical report, it is printed from the warm cache without loading the engine
 * (dist/cli-main.js), which is required only when needed.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Worker } from 'node:worker_threads';
import type * as ParsePoolModule from '../engine/parse-pool';
import type { runCli } from './main';
import { indexFileName } from '../engine/index-name';
import { codeCacheFile, privateFolder, requireWithCodeCache } from './code-cache';
import { cacheDirOf, endQuietlyOnEpipe, isTerminal, printWarm, stdoutWriter, warmKey } from './warm';

declare const __TAXIMETER_BUILD__: string | undefined;
const build = typeof __TAXIMETER_BUILD__ === 'string' ? __TAXIMETER_BUILD__ : 'dev';

const argv = process.argv.slice(2);
const env = process.env;
const noCache = argv.includes('--no-cache');
// Not through `process.stdout`: a warm hit writes to the descriptor without creating that stream
// (nor loading node:tty, which loads node:net: 5 ms) when the output is a pipe or a file.
const terminal = isTerminal(1);
const cacheDir = cacheDirOf(argv, env);
if (!(argv[0] === 'report' && !noCache && printWarm(cacheDir, warmKey(argv, env, build, terminal)))) {
  // The engine's compiled code is cached (see code-cache.ts; NODE_DISABLE_COMPILE_CACHE=1 turns it
  // off): beside the index, or under --no-cache in a user-only folder of the system's temporary one.
  const mainFile = path.join(__dirname, 'cli-main.js');
  const codeDir = noCache ? path.join(os.tmpdir(), `taximeter-code-${process.getuid?.() ?? 'user'}`) : path.join(cacheDir, 'code');
  const codeCache = !env.NODE_DISABLE_COMPILE_CACHE && privateFolder(codeDir) ? codeCacheFile(codeDir, mainFile, build) : undefined;
  // Intl's first use (time zones, collation) costs 25–40 ms on whichever thread comes first, and
  // its data is shared by the process: a throwaway thread pays it while this one loads and scans.
  // A cold scan (no index yet) reads with helper threads: started now, they load while this
  // thread does, and are reading by the time the files are found; the first also warms Intl.
  // Threads are loaded only here: a warm hit never pays for node:worker_threads.
  let startedHelpers: Worker[] = [];
  if (argv[0] === 'report' || argv[0] === 'export') {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const threads = require('../engine/parse-pool') as typeof ParsePoolModule;
      if (noCache || !fs.existsSync(path.join(cacheDir, indexFileName))) startedHelpers = threads.startParseHelpers(path.join(__dirname, 'parse-worker.js'), threads.parseHelperCount(env), true);
      if (startedHelpers.length === 0) threads.startIntlWarmer();
    } catch {
      // Only a speed-up.
    }
  }
  // A reader that stops early (`taximeter report | head`) is not an error.
  process.stdout.on('error', endQuietlyOnEpipe);
  const main = requireWithCodeCache(mainFile, codeCache) as { runCli: typeof runCli };
  main
    .runCli(argv, { out: (t) => process.stdout.write(t), outBytes: stdoutWriter(), err: (t) => process.stderr.write(t), env, terminal, argvForCache: argv, startedHelpers })
    .then(
      (code) => {
        process.exitCode = code;
      },
      (error: unknown) => {
        process.stderr.write(`taximeter: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
        process.exitCode = 1;
      },
    );
}
