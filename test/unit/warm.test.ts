import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cliBuild, runCli } from '../../src/cli/main';
import { readWarm, warmKey } from '../../src/cli/warm';
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
    const key = warmKey(argv, env, cliBuild);
    const first = await full(argv, env);
    assert.equal(readWarm(cache, key), first, 'hit while unchanged');
    assert.equal(readWarm(cache, warmKey([...argv, '--by', 'day'], env, cliBuild)), undefined, 'other arguments miss');

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
});
