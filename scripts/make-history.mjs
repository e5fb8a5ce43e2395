// Builds a large Claude Code history from the real fixtures for the benchmark: fresh ids in every
// copy (message ids, request ids, uuids, session ids), many project folders, some 100 MB+ files,
// and one big file of records without usage (file-history-snapshot only).
//
//   node scripts/make-history.mjs OUT_DIR [TARGET_MB]
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const generatorVersion = 5;
const [outDir, targetArg] = process.argv.slice(2);
if (!outDir) {
  console.error('usage: make-history.mjs OUT_DIR [TARGET_MB]');
  process.exit(2);
}
const targetBytes = Number(targetArg ?? 1100) * 1024 * 1024;
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const fixtures = path.join(root, 'test', 'fixtures', 'claude-code');
const marker = path.join(outDir, '.taximeter-history.json');

if (fs.existsSync(marker)) {
  const m = JSON.parse(fs.readFileSync(marker, 'utf8'));
  if (m.generatorVersion === generatorVersion && m.targetBytes === targetBytes) {
    console.log(`history exists: ${(m.bytes / 1048576).toFixed(0)} MB in ${m.files} files (${outDir})`);
    process.exit(0);
  }
}
fs.rmSync(outDir, { recursive: true, force: true });
fs.mkdirSync(path.join(outDir, 'projects'), { recursive: true });

/** Every session of the 2.x fixtures as a template: its files (main + subagents) with their lines. */
const templates = [];
for (const scenario of fs.readdirSync(fixtures)) {
  if (scenario.includes('cc1.0')) continue;
  const proj = path.join(fixtures, scenario, 'projects', '-home-user-proj');
  if (!fs.existsSync(proj)) continue;
  for (const f of fs.readdirSync(proj)) {
    if (!f.endsWith('.jsonl')) continue;
    const sid = f.slice(0, -6);
    const files = [{ rel: '', lines: fs.readFileSync(path.join(proj, f), 'utf8').split('\n').filter(Boolean) }];
    const sub = path.join(proj, sid, 'subagents');
    if (fs.existsSync(sub)) {
      for (const s of fs.readdirSync(sub)) if (s.endsWith('.jsonl')) files.push({ rel: s, lines: fs.readFileSync(path.join(sub, s), 'utf8').split('\n').filter(Boolean) });
    }
    templates.push({ sid, files });
  }
}

const idPattern = /(msg_[A-Za-z0-9_-]+|req_[A-Za-z0-9_-]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|agent-[0-9a-f]{17}|"agentId":"[0-9a-f]{17}")/g;

/** Rewrites every id in a copy consistently (same old id → same new id within the copy). */
function renamer(copy) {
  const map = new Map();
  return (text) =>
    text.replace(idPattern, (m) => {
      let n = map.get(m);
      if (!n) {
        const h = crypto.createHash('sha1').update(`${copy}:${m}`).digest('hex');
        if (m.startsWith('msg_')) n = `msg_b${h.slice(0, 22)}`;
        else if (m.startsWith('req_')) n = `req_b${h.slice(0, 22)}`;
        else if (m.startsWith('agent-')) n = `agent-${h.slice(0, 17)}`;
        else if (m.startsWith('"agentId"')) n = `"agentId":"${h.slice(0, 17)}"`;
        else n = `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
        map.set(m, n);
      }
      return n;
    });
}

/** Shift timestamps so copies spread over two years (earlier copies further back). */
function shifter(days) {
  const delta = days * 86_400_000 + 1;
  return (text) => text.replace(/"timestamp":"(\d{4}-\d\d-\d\dT[\d:.]+Z)"/g, (_m, iso) => `"timestamp":"${new Date(Date.parse(iso) - delta).toISOString()}"`);
}

let bytes = 0;
let files = 0;
let copy = 0;
const write = (file, text) => {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.appendFileSync(file, text);
  bytes += Buffer.byteLength(text);
};

// 1. Two 150 MB transcripts: one long-running session each (many copies appended to one file).
for (let big = 0; big < 2; big++) {
  const projDir = path.join(outDir, 'projects', `-home-user-big-project-${big}`);
  const sid = crypto.randomUUID();
  const file = path.join(projDir, `${sid}.jsonl`);
  let size = 0;
  while (size < 150 * 1024 * 1024) {
    const t = templates[copy % templates.length];
    const rename = renamer(`big${big}-${copy}`);
    // One long session: copies follow each other in time (a minute apart), like a real transcript.
    const shift = shifter((700 - size / (150 * 1024 * 1024) * 600) + big);
    const text = t.files[0].lines.map((l) => shift(rename(l)).replace(/"sessionId":"[^"]+"/g, `"sessionId":"${sid}"`).replace(/,"requestSessionId":"[^"]+"/g, '')).join('\n') + '\n';
    write(file, text);
    size += Buffer.byteLength(text);
    copy++;
  }
  files++;
}

// 2. One 200 MB file of records without usage (file-history-snapshot only).
{
  const file = path.join(outDir, 'projects', '-home-user-snapshots', `${crypto.randomUUID()}.jsonl`);
  const blob = 'x'.repeat(20_000);
  const lines = [];
  for (let i = 0; i < 500; i++) lines.push(JSON.stringify({ type: 'file-history-snapshot', messageId: crypto.randomUUID(), snapshot: { trackedFileBackups: { [`f${i}.ts`]: { backupFileName: blob } }, timestamp: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString() }, isSnapshotUpdate: false }));
  const chunk = lines.join('\n') + '\n';
  let size = 0;
  while (size < 200 * 1024 * 1024) {
    write(file, chunk);
    size += chunk.length;
  }
  files++;
}

// 3. Many small sessions in many project folders until the target size.
while (bytes < targetBytes) {
  const t = templates[copy % templates.length];
  const rename = renamer(`c${copy}`);
  const shift = shifter(copy % 700);
  const projDir = path.join(outDir, 'projects', `-home-user-project-${copy % 97}`);
  const sid = rename(t.sid);
  for (const f of t.files) {
    const text = f.lines.map((l) => shift(rename(l))).join('\n') + '\n';
    const file = f.rel ? path.join(projDir, sid, 'subagents', rename(f.rel)) : path.join(projDir, `${sid}.jsonl`);
    write(file, text);
    files++;
  }
  copy++;
}

fs.writeFileSync(marker, JSON.stringify({ generatorVersion, targetBytes, bytes, files, copies: copy }));
console.log(`history built: ${(bytes / 1048576).toFixed(0)} MB in ${files} files, ${copy} session copies (${outDir})`);
