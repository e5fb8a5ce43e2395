import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cliBuild, runCli } from '../../src/cli/main';
import { readWarm, readWarmBytes, warmCacheName, warmKey, writeWarm, zoneFingerprint } from '../../src/cli/warm';
import { claudeFixture, copyTree, repoRoot, tempDir } from '../helpers';

describe('CLI warm report cache', () => {
  async function full(argv: string[], env: NodeJS.ProcessEnv): Promise<string> {
    let out = '';
    assert.equal(await runCli(argv, { out: (t) => (out += t), err: () => undefined, env, argvForCache: argv }), 0);
    return out;
  }

  it('serves the last report only while nothing it read has changed', async () => {
    const root = tempDir();
    copyTree(claudeFixture('compact_manual'), root);
    const cache = tempDir();
    const env = { HOME: tempDir() };
    const argv = ['report', '--json', '--claude-dir', root, '--cache-dir', cache];
    const key = warmKey(argv, env, cliBuild, false);
    const first = await full(argv, env);
    assert.equal(readWarm(cache, key), first, 'hit while unchanged');
    assert.equal(readWarm(cache, warmKey([...argv, '--by', 'day'], env, cliBuild, false)), undefined, 'other arguments miss');
    assert.equal(readWarm(cache, warmKey(argv, env, cliBuild, true)), undefined, 'a terminal (indented JSON) misses what was written for a pipe');

    const file = path.join(root, 'projects', '-home-user-proj', '1fadfc77-936f-4016-8c24-3f754c1f34ce.jsonl');
    fs.appendFileSync(file, '\n');
    assert.equal(readWarm(cache, key), undefined, 'an appended file misses');
    const second = await full(argv, env);
    assert.equal(readWarm(cache, key), second);

    fs.writeFileSync(path.join(root, 'projects', '-home-user-proj', 'new-session.jsonl'), '');
    assert.equal(readWarm(cache, key), undefined, 'a new file misses');
    await full(argv, env);
    fs.mkdirSync(path.join(root, 'projects', '-home-user-other'));
    assert.equal(readWarm(cache, key), undefined, 'a new project folder misses');
    await full(argv, env);
    fs.mkdirSync(path.join(root, 'projects', '-home-user-proj', '1fadfc77-936f-4016-8c24-3f754c1f34ce', 'subagents'), { recursive: true });
    assert.equal(readWarm(cache, key), undefined, 'a new subagents folder misses');
  });

  it('another time zone or a damaged cache file misses', async () => {
    const root = tempDir();
    copyTree(claudeFixture('compact_manual'), root);
    const cache = tempDir();
    const argv = ['report', '--json', '--claude-dir', root, '--cache-dir', cache];
    const berlin = { HOME: tempDir(), TZ: 'Europe/Berlin' };
    const first = await full(argv, berlin);
    assert.equal(readWarm(cache, warmKey(argv, berlin, cliBuild, false)), first);
    assert.equal(readWarm(cache, warmKey(argv, { ...berlin, TZ: 'America/New_York' }, cliBuild, false)), undefined, 'TZ changed');
    // Without TZ: where /etc/localtime points (Intl, whose first use costs tens of ms, only without it).
    assert.equal(zoneFingerprint({}).startsWith('intl='), !fs.existsSync('/etc/localtime'));
    const file = path.join(cache, warmCacheName);
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(file, bytes.subarray(0, bytes.length - 10));
    assert.equal(readWarm(cache, warmKey(argv, berlin, cliBuild, false)), undefined, 'a cut-short report');
    fs.writeFileSync(file, Buffer.concat([Buffer.from('{"v":2,'), bytes.subarray(bytes.indexOf(10))]));
    assert.equal(readWarm(cache, warmKey(argv, berlin, cliBuild, false)), undefined, 'a damaged header');
  });

  it('keeps any path in its list and prints a report of many chunks whole, in order, through one buffer', () => {
    const dir = tempDir();
    const cache = tempDir();
    // Hostile names: a newline, quotes, non-ASCII, a backslash.
    const names = ['plain.jsonl', 'new\nline.jsonl', 'quote"s\\.jsonl', 'ünïcödé-日本.jsonl'];
    const files = names.map((n): [string, number, number, number] => {
      const p = path.join(dir, n);
      fs.writeFileSync(p, `${n}\n`);
      const st = fs.statSync(p);
      return [p, st.size, st.mtimeMs, st.ino];
    });
    const dirs: [string, number][] = [[dir, fs.statSync(dir).mtimeMs], [path.join(dir, 'absent'), -1]];
    const body = Buffer.alloc(1024 * 1024 + 333);
    for (let i = 0; i < body.length; i++) body[i] = 97 + ((i * 7) % 26);
    const key = 'test-key';
    writeWarm(cache, key, files, dirs, body, (f, data) => fs.writeFileSync(f, data));
    assert.ok(readWarmBytes(cache, key)?.equals(body), 'a hit gives the report');
    const print = `process.exitCode = require(${JSON.stringify(path.join(repoRoot, 'out', 'src', 'cli', 'warm.js'))}).printWarm(${JSON.stringify(cache)}, ${JSON.stringify(key)}) ? 0 : 3;`;
    const r = spawnSync(process.execPath, ['-e', print], { maxBuffer: 4 * body.length });
    assert.equal(r.status, 0, r.stderr.toString());
    assert.ok(r.stdout.equals(body), 'printed whole and in order');

    // A number of the list damaged (one file's mtime): a miss, and nothing printed.
    const file = path.join(cache, warmCacheName);
    const bytes = fs.readFileSync(file);
    const header = JSON.parse(bytes.toString('utf8', 0, bytes.indexOf(10))) as { paths: number };
    const damaged = Buffer.from(bytes);
    const at = bytes.indexOf(10) + 1 + header.paths + 8;
    damaged.writeDoubleLE(damaged.readDoubleLE(at) + 1, at);
    fs.writeFileSync(file, damaged);
    assert.equal(readWarmBytes(cache, key), undefined, 'a changed mtime misses');
    const missed = spawnSync(process.execPath, ['-e', print]);
    assert.equal(missed.status, 3);
    assert.equal(missed.stdout.length, 0);

    // Restored, then a folder that was absent appears: a miss.
    fs.writeFileSync(file, bytes);
    assert.ok(readWarmBytes(cache, key)?.equals(body));
    fs.mkdirSync(path.join(dir, 'absent'));
    assert.equal(readWarmBytes(cache, key), undefined, 'a folder that appeared misses');
  });

  describe('writing the cached report to standard output', () => {
    const warmModule = path.join(repoRoot, 'out', 'src', 'cli', 'warm.js');
    const big = 4 * 1024 * 1024 + 17;
    /** A child that writes `big` bytes (a repeating pattern) with stdoutWriter(); `first` runs before it. */
    const child = (first = ''): string => `${first}; const b = Buffer.alloc(${big}); for (let i = 0; i < b.length; i++) b[i] = 97 + (i % 23); require(${JSON.stringify(warmModule)}).stdoutWriter()(b);`;
    const pattern = (): Buffer => {
      const b = Buffer.alloc(big);
      for (let i = 0; i < b.length; i++) b[i] = 97 + (i % 23);
      return b;
    };

    it('writes every byte, in order, also through a pipe that cannot take it at once', () => {
      for (const first of ['', 'process.stdout']) {
        // Touching process.stdout first makes the pipe non-blocking: the rest then goes through the stream.
        const r = spawnSync(process.execPath, ['-e', child(first)], { maxBuffer: 2 * big });
        assert.equal(r.status, 0, r.stderr.toString());
        assert.ok(r.stdout.equals(pattern()), `all ${big} bytes (${first || 'blocking pipe'})`);
      }
    });

    it('a writer reusing one buffer for many writes gets every byte out in order, also once the pipe is full (the stream gets copies)', () => {
      // 64 writes of 64 KB from one buffer, refilled before each: more than a pipe holds.
      const writes = `const w = require(${JSON.stringify(warmModule)}).stdoutWriter(); const b = Buffer.alloc(65536); for (let k = 0; k < 64; k++) { b.fill(97 + (k % 23)); w(b); }`;
      const expected = Buffer.concat(Array.from({ length: 64 }, (_, k) => Buffer.alloc(65536, 97 + (k % 23))));
      for (const first of ['', 'process.stdout']) {
        const r = spawnSync(process.execPath, ['-e', `${first}; ${writes}`], { maxBuffer: 2 * expected.length });
        assert.equal(r.status, 0, r.stderr.toString());
        assert.ok(r.stdout.equals(expected), `all ${expected.length} bytes in order (${first || 'blocking pipe'})`);
      }
    });

    it('tells a pipe, a file and /dev/null from a terminal as process.stdout.isTTY does, loading node:tty only for a character device', () => {
      const probe = `const t = require(${JSON.stringify(warmModule)}).isTerminal(1); const loaded = process.moduleLoadList.some((m) => m === 'NativeModule tty'); process.stderr.write(JSON.stringify([t, loaded, require('node:tty').isatty(1)]));`;
      const file = path.join(tempDir(), 'out');
      // [terminal, node:tty loaded by the check, tty.isatty]: a character device (/dev/null) is asked of node:tty.
      for (const [name, stdout, loadsTty] of [
        ['pipe', 'pipe', false],
        ['file', fs.openSync(file, 'w'), false],
        ['/dev/null', fs.openSync('/dev/null', 'w'), true],
      ] as const) {
        const r = spawnSync(process.execPath, ['-e', probe], { stdio: ['ignore', stdout, 'pipe'] });
        assert.deepEqual(JSON.parse(r.stderr.toString()), [false, loadsTty, false], name);
      }
    });

    it('ends quietly (status 0) when the reader stops early', () => {
      for (const first of ['', 'process.stdout']) {
        const r = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" -e '${child(first)}' | head -c 10`]);
        assert.equal(r.status, 0, r.stderr.toString());
        assert.equal(r.stdout.toString(), 'abcdefghij');
      }
    });
  });
});

