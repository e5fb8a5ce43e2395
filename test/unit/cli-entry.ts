/** The CLI on the tsc output (for tests that run it as a process). */
import { runCli } from '../../src/cli/main';

void runCli(process.argv.slice(2), { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t), env: process.env }).then((code) => {
  process.exitCode = code;
});
