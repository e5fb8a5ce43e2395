/** Loaded by the extension host: runs every *.test.js in this folder with mocha. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  for (const f of fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).sort()) mocha.addFile(path.join(__dirname, f));
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const passed = runner.stats?.passes ?? 0;
      const pending = runner.stats?.pending ?? 0;
      const out = process.env.TAXIMETER_TEST_RESULTS;
      if (out) fs.writeFileSync(path.join(out, 'integration.json'), JSON.stringify({ passed, failed: failures, pending }));
      console.log(`integration: ${passed} passed, ${failures} failed${pending > 0 ? `, ${pending} pending (not counted as passed)` : ''}`);
      if (failures > 0) reject(new Error(`${failures} tests failed.`));
      else resolve();
    });
  });
}
