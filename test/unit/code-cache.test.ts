import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { codeCacheFile, keptCodeCaches, privateFolder } from '../../src/cli/code-cache';
import { tempDir } from '../helpers';

const codeCacheModule = path.join(__dirname, '..', '..', 'src', 'cli', 'code-cache.js');

/** Load `file` through the code cache in a fresh Node process; what it exported and what the cache did. */
function load(file: string, cacheFile: string): { value: unknown; outcome: string } {
  const script = `const c = require(${JSON.stringify(codeCacheModule)});
    const m = c.requireWithCodeCache(${JSON.stringify(file)}, ${JSON.stringify(cacheFile)});
    process.stdout.write(JSON.stringify({ value: m.answer(), outcome: c.codeCacheOutcome }));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as { value: unknown; outcome: string };
}

describe('the CLI code cache', () => {
  it('a module loads the same with no cache, then with the cache its first run wrote, and again after the cache is damaged', () => {
    const dir = tempDir();
    const file = path.join(dir, 'engine.js');
    // A module that needs its own require, __dirname and module.exports, with a function compiled only when called.
    fs.writeFileSync(path.join(dir, 'part.json'), JSON.stringify({ n: 41 }));
    fs.writeFileSync(file, `"use strict";\nconst path = require('node:path');\nfunction later(x) { return x + require(path.join(__dirname, 'part.json')).n; }\nmodule.exports = { answer: () => later(1) };\n`);
    const cacheFile = codeCacheFile(dir, file, 'test');
    assert.equal(path.basename(cacheFile).startsWith('engine--test-'), true);
    assert.deepEqual(load(file, cacheFile), { value: 42, outcome: 'none' });
    assert.ok(fs.statSync(cacheFile).size > 0, 'written when the first run ended');
    assert.deepEqual(load(file, cacheFile), { value: 42, outcome: 'accepted' });
    fs.writeFileSync(cacheFile, Buffer.from('not a code cache'));
    assert.deepEqual(load(file, cacheFile), { value: 42, outcome: 'rejected' });
    assert.deepEqual(load(file, cacheFile), { value: 42, outcome: 'accepted' }, 'rewritten after the rejection');
    // The source changed under the same name, to the same length (V8 would take the old cache):
    // refused, the new source runs.
    const source = fs.readFileSync(file, 'utf8');
    const edited = source.replace('x + require', 'x - require');
    assert.equal(edited.length, source.length);
    fs.writeFileSync(file, edited);
    assert.deepEqual(load(file, cacheFile), { value: -40, outcome: 'rejected' });
    assert.deepEqual(load(file, cacheFile), { value: -40, outcome: 'accepted' });
  });

  it('no cache file (or an empty name): the plain require, nothing written', () => {
    const dir = tempDir();
    const file = path.join(dir, 'engine.js');
    fs.writeFileSync(file, `module.exports = { answer: () => 3 };\n`);
    assert.deepEqual(load(file, ''), { value: 3, outcome: 'off' });
    assert.deepEqual(fs.readdirSync(dir), ['engine.js']);
  });

  it("a new cache keeps the newest caches of other builds (up to 3 in all), removes older ones and Node's old compile cache", () => {
    const dir = tempDir();
    const file = path.join(dir, 'engine.js');
    fs.writeFileSync(file, `module.exports = { answer: () => 1 };\n`);
    const builds = ['b1', 'b2', 'b3', 'b4'];
    builds.forEach((b, i) => {
      const f = codeCacheFile(dir, file, b);
      fs.writeFileSync(f, 'x');
      const t = new Date(Date.now() - (10 - i) * 60_000);
      fs.utimesSync(f, t, t);
    });
    const other = path.join(dir, 'other--old.v8');
    fs.writeFileSync(other, 'x');
    // What Node's compile cache left here before (earlier versions used it): removed.
    const nodeCache = path.join(dir, 'v22.23.3-x64-9de703df-0');
    fs.mkdirSync(nodeCache);
    fs.writeFileSync(path.join(nodeCache, '48ecf0e3'), 'x');
    load(file, codeCacheFile(dir, file, 'new'));
    assert.equal(keptCodeCaches, 3);
    assert.deepEqual(
      ['new', ...builds].filter((b) => fs.existsSync(codeCacheFile(dir, file, b))),
      ['new', 'b3', 'b4'],
      'the written one and the two newest others',
    );
    assert.equal(fs.existsSync(nodeCache), false);
    assert.equal(fs.existsSync(other), true, "another file's cache stays");
  });

  it('the folder is user-only: made so, a link to one refused', function () {
    if (process.platform === 'win32') this.skip();
    const base = tempDir();
    const open = path.join(base, 'open');
    fs.mkdirSync(open, { mode: 0o755 });
    fs.chmodSync(open, 0o755);
    assert.equal(privateFolder(open), true);
    assert.equal(fs.statSync(open).mode & 0o777, 0o700);
    const made = path.join(base, 'new', 'code');
    assert.equal(privateFolder(made), true);
    assert.equal(fs.statSync(made).mode & 0o077, 0);
    const link = path.join(base, 'link');
    fs.symlinkSync(open, link);
    assert.equal(privateFolder(link), false);
    fs.writeFileSync(path.join(base, 'file'), '');
    assert.equal(privateFolder(path.join(base, 'file')), false);
  });
});
