/**
 * Entry point of the `taximeter` command (bundled to dist/cli.js). Kept tiny: when nothing changed
 * since the last identical report, it is printed from the warm cache without loading the engine
 * (dist/cli-main.js), which is required only when needed.
 */
import * as path from 'node:path';
import type { runCli } from './main';
import { cacheDirOf, readWarm, warmKey } from './warm';

declare const __TAXIMETER_BUILD__: string | undefined;
const build = typeof __TAXIMETER_BUILD__ === 'string' ? __TAXIMETER_BUILD__ : 'dev';

const argv = process.argv.slice(2);
const env = process.env;
const warm = argv[0] === 'report' && !argv.includes('--no-cache') ? readWarm(cacheDirOf(argv, env), warmKey(argv, env, build)) : undefined;
if (warm !== undefined) {
  process.stdout.write(warm);
} else {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const main = require(path.join(__dirname, 'cli-main.js')) as { runCli: typeof runCli };
  main
    .runCli(argv, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t), env, argvForCache: argv })
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
