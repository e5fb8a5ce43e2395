import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { walkFiles } from '../../src/sources/walk';
import type { SourceProblem } from '../../src/sources/source';
import { tempDir } from '../helpers';

describe('walking folders for discovery', () => {
  it('gives each file once, by its normal path, through real and linked folders, whatever form the root is given in', () => {
    const base = tempDir();
    const root = path.join(base, 'projects');
    for (const d of ['p1/s1/subagents', 'p2', 'p1/s1/other']) fs.mkdirSync(path.join(root, d), { recursive: true });
    for (const f of ['p1/a.jsonl', 'p1/s1/subagents/agent-1.jsonl', 'p1/s1/other/skip.jsonl', 'p2/b.jsonl', 'p2/notes.txt', 'top.jsonl']) fs.writeFileSync(path.join(root, f), '{}\n');
    // A project folder that is a link to one elsewhere: its files are found under the link's path.
    fs.mkdirSync(path.join(base, 'elsewhere', 'sessions'), { recursive: true });
    fs.writeFileSync(path.join(base, 'elsewhere', 'c.jsonl'), '{}\n');
    fs.writeFileSync(path.join(base, 'elsewhere', 'sessions', 'd.jsonl'), '{}\n');
    fs.symlinkSync(path.join(base, 'elsewhere'), path.join(root, 'p3'));
    const expected = ['p1/a.jsonl', 'p1/s1/subagents/agent-1.jsonl', 'p2/b.jsonl', 'p3/c.jsonl', 'p3/sessions/d.jsonl', 'top.jsonl'].map((f) => path.join(root, f)).sort();
    const options = { maxDepth: 3, file: (name: string): boolean => name.endsWith('.jsonl'), dir: (name: string, _parent: string, depth: number): boolean => depth < 3 || name === 'subagents' };
    for (const given of [root, `${root}${path.sep}`, path.join(root, 'p1', '..'), path.relative(process.cwd(), root)]) {
      const problems: SourceProblem[] = [];
      const found = walkFiles(given, options, problems).map((p) => path.resolve(p)).sort();
      assert.deepEqual(found, expected, given);
      for (const p of walkFiles(given, options, [])) assert.equal(p, path.normalize(p), `${p} is in normal form`);
      assert.deepEqual(problems, []);
    }
  });
});
