/** Loaded by the extension host for the live benchmark. */
import * as path from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 900_000, reporter: 'spec' });
  mocha.addFile(path.join(__dirname, 'live.test.js'));
  return new Promise((resolve, reject) => mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} failed`)) : resolve())));
}
