/**
 * The edit "Connect Codex CLI" makes to `~/.codex/config.toml` (pure text → text), and its undo.
 *
 * Codex runs ONE top-level `notify = ["prog", "arg", …]` command after every turn, with the turn's
 * JSON appended as the last argument (../shared/formats/other-agents.md §1). Connect sets it to
 * Taximeter's signal script followed by the user's previous argv, which the script then runs with
 * the same arguments, so a previous notify keeps working. The statement is written at the top of
 * the file (top-level keys must precede the first [table]) or in place of the previous one.
 */

export interface CodexConnectUndo {
  /** The exact `notify = …` line Connect wrote. */
  line: string;
  /** The exact text of the previous `notify` statement, if there was one. */
  previous: string | null;
}

export type CodexConnectPlan = { ok: true; text: string; undo: CodexConnectUndo } | { ok: false; reason: string };
export type CodexDisconnectPlan = { ok: true; text: string; found: boolean } | { ok: false; reason: string };

interface NotifyStatement {
  start: number;
  end: number;
  argv: string[] | undefined;
}

/** Read a TOML array of strings (`["a", 'b']`, multi-line allowed) starting at `i`; undefined if it is anything else. */
function readStringArray(text: string, i: number): { argv: string[]; end: number } | undefined {
  if (text[i] !== '[') return undefined;
  i++;
  const argv: string[] = [];
  const skip = (): void => {
    for (;;) {
      while (i < text.length && /[ \t\r\n,]/.test(text[i] ?? '')) i++;
      if (text[i] === '#') while (i < text.length && text[i] !== '\n') i++;
      else return;
    }
  };
  for (;;) {
    skip();
    const c = text[i];
    if (c === ']') return { argv, end: i + 1 };
    if (c === "'") {
      const close = text.indexOf("'", i + 1);
      if (close < 0 || text.slice(i + 1, close).includes('\n')) return undefined;
      argv.push(text.slice(i + 1, close));
      i = close + 1;
    } else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      try {
        const v: unknown = JSON.parse(text.slice(i, j + 1));
        if (typeof v !== 'string') return undefined;
        argv.push(v);
      } catch {
        return undefined;
      }
      i = j + 1;
    } else return undefined;
  }
}

/** The top-level `notify = …` statement (before the first table header), if any. */
function findNotify(text: string): NotifyStatement | undefined {
  const re = /^[ \t]*(\[|notify[ \t]*=[ \t]*)/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[1] === '[') return undefined;
    const valueAt = m.index + m[0].length;
    const arr = readStringArray(text, valueAt);
    let end = arr ? arr.end : text.indexOf('\n', valueAt);
    if (end < 0) end = text.length;
    return { start: m.index, end, argv: arr?.argv };
  }
  return undefined;
}

function tomlString(s: string): string {
  // JSON's escapes (\" \\ \n \uXXXX) are TOML basic-string escapes too.
  return JSON.stringify(s);
}

export function planCodexConnect(original: string | undefined, ourArgv: readonly string[], marker: string): CodexConnectPlan {
  const text = original ?? '';
  if (text.includes(marker)) return { ok: false, reason: 'Taximeter is already connected in this Codex config.' };
  const existing = findNotify(text);
  if (existing && !existing.argv) return { ok: false, reason: 'Taximeter cannot read the `notify` setting in this Codex config (not a list of strings); nothing was changed.' };
  const line = `notify = [${[...ourArgv, ...(existing?.argv ?? [])].map(tomlString).join(', ')}]`;
  if (existing) return { ok: true, text: text.slice(0, existing.start) + line + text.slice(existing.end), undo: { line, previous: text.slice(existing.start, existing.end) } };
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  return { ok: true, text: `${line}${eol}${text}`, undo: { line, previous: null } };
}

/** Remove Connect's `notify` from a config that changed since Connect wrote it. */
export function planCodexDisconnect(current: string, undo: CodexConnectUndo): CodexDisconnectPlan {
  const at = current.indexOf(undo.line);
  if (at < 0) {
    const st = findNotify(current);
    if (st && current.slice(st.start, st.end).includes('codex-notify.sh')) return { ok: false, reason: "Taximeter's `notify` line was edited since Connect; Taximeter will not guess. Set `notify` by hand, or restore the backup." };
    return { ok: true, text: current, found: false };
  }
  const before = current.slice(0, at);
  let after = current.slice(at + undo.line.length);
  const restored = undo.previous;
  if (restored !== null) return { ok: true, text: before + restored + after, found: true };
  if (after.startsWith('\r\n')) after = after.slice(2);
  else if (after.startsWith('\n')) after = after.slice(1);
  return { ok: true, text: before + after, found: true };
}
