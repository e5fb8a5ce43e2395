import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cliBuild, runCli } from '../../src/cli/main';
import { readWarm, warmCacheName, warmKey, zoneFingerprint } from '../../src/cli/warm';
import { claudeFixture, copyTree, tempDir } from '../helpers';

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
});
