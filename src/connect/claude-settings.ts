/**
 * The edit "Connect Claude Code" makes to a settings.json, and its undo, as pure text → text
 * functions (no I/O), so every case is unit-tested on plain Node.
 *
 * - Connect appends one matcher group per hook event (`{"matcher":"","hooks":[{type:"command",
 *   command}]}`), creating `hooks` / the event's array only when absent, and wraps the status
 *   line: `statusLine.command` becomes our wrapper, which runs the previous command itself.
 *   Everything else (other hooks, other keys, comments, indentation, line ends) is left as it is;
 *   edits go through jsonc-parser, the library VS Code edits its own settings with.
 * - Disconnect is exact: when the file is still what Connect wrote, the installer restores the
 *   original bytes (see installer.ts). When the file changed since (the user or the client edited
 *   it), this module removes exactly what Connect added and nothing else, and refuses when one of
 *   its entries was altered, or the file no longer parses.
 */
import { applyEdits, findNodeAtLocation, getNodeValue, modify, parseTree, type FormattingOptions, type Node, type ParseError } from 'jsonc-parser';
import * as z from 'zod';
import type { HookEvent } from './hook-events';

/** The parts of settings.json Connect edits, as the client reads them; everything else passes untouched. */
const hooksSchema = z.record(z.string(), z.array(z.unknown()));
const statusLineSchema = z.looseObject({ type: z.literal('command').optional(), command: z.string() });

export interface ClaudeConnectSpec {
  events: readonly HookEvent[];
  /** The command every hook event runs. */
  hookCommand: string;
  /** The status line command, given the user's previous one (undefined: none). */
  statusLineCommand(previous: string | undefined): string;
  /** A string only Taximeter's commands contain (its install folder), to recognise them. */
  marker: string;
}

/** What Connect did, kept to undo it (also when the file changed since). */
export interface ClaudeConnectUndo {
  events: HookEvent[];
  hookCommand: string;
  statusLine: { command: string; previousCommand: string | null; created: boolean };
  createdHooksKey: boolean;
  createdEvents: HookEvent[];
}

export type ConnectPlan = { ok: true; text: string; undo: ClaudeConnectUndo; summary: string[] } | { ok: false; reason: string; alreadyConnected?: boolean };
export type DisconnectPlan = { ok: true; text: string; found: boolean } | { ok: false; reason: string };

function formattingOf(text: string): FormattingOptions {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const indented = /^([ \t]+)["}\]]/m.exec(text)?.[1];
  if (indented?.startsWith('\t')) return { insertSpaces: false, tabSize: 4, eol };
  return { insertSpaces: true, tabSize: indented && indented.length <= 8 ? indented.length : 2, eol };
}

function parseObject(text: string): { root: Node } | { reason: string } {
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: false, disallowComments: false });
  if (errors.length > 0 || !root) return { reason: `it is not valid JSON (error at offset ${errors[0]?.offset ?? 0})` };
  if (root.type !== 'object') return { reason: 'its top level is not a JSON object' };
  return { root };
}

function edit(text: string, path: (string | number)[], value: unknown, fo: FormattingOptions, isArrayInsertion = false): string {
  return applyEdits(text, modify(text, path, value, { formattingOptions: fo, isArrayInsertion }));
}

function hookGroup(command: string): unknown {
  return { matcher: '', hooks: [{ type: 'command', command }] };
}

/** Plan Connect on a settings file's text (`undefined`: the file does not exist). */
export function planClaudeConnect(original: string | undefined, spec: ClaudeConnectSpec): ConnectPlan {
  const blank = original === undefined || original.trim() === '';
  let text = blank ? '{}' : original;
  const parsed = parseObject(text);
  if ('reason' in parsed) return { ok: false, reason: `Taximeter cannot edit this settings file: ${parsed.reason}. Fix it first; nothing was changed.` };
  if (text.includes(spec.marker)) return { ok: false, reason: 'Taximeter is already connected in this settings file.', alreadyConnected: true };
  const fo = blank ? { insertSpaces: true, tabSize: 2, eol: '\n' } : formattingOf(text);
  const summary: string[] = [];

  const hooksNode = findNodeAtLocation(parsed.root, ['hooks']);
  const hooks = hooksNode ? hooksSchema.safeParse(getNodeValue(hooksNode)) : undefined;
  if (hooks && !hooks.success) return { ok: false, reason: `Taximeter cannot edit this settings file: its "hooks" is not an object of lists (${hooks.error.issues[0]?.path.join('.') ?? ''}). Nothing was changed.` };
  const createdEvents = spec.events.filter((ev) => hooks?.data?.[ev] === undefined);
  const statusNode = findNodeAtLocation(parsed.root, ['statusLine']);
  let previousCommand: string | null = null;
  if (statusNode) {
    const status = statusLineSchema.safeParse(getNodeValue(statusNode));
    if (!status.success) return { ok: false, reason: 'Taximeter cannot wrap this status line: "statusLine" is not a {"type":"command","command":…} object. Nothing was changed.' };
    previousCommand = status.data.command;
  }

  if (!hooksNode) {
    const all: Record<string, unknown> = {};
    for (const ev of spec.events) all[ev] = [hookGroup(spec.hookCommand)];
    text = edit(text, ['hooks'], all, fo);
  } else {
    for (const ev of spec.events) {
      if (createdEvents.includes(ev)) text = edit(text, ['hooks', ev], [hookGroup(spec.hookCommand)], fo);
      else text = edit(text, ['hooks', ev, -1], hookGroup(spec.hookCommand), fo, true);
    }
  }
  summary.push(`hooks ${spec.events.join(', ')}: run ${spec.hookCommand}`);
  const statusCommand = spec.statusLineCommand(previousCommand ?? undefined);
  if (statusNode) {
    text = edit(text, ['statusLine', 'command'], statusCommand, fo);
    summary.push(`statusLine.command: wrapped; your command ${JSON.stringify(previousCommand)} still runs and prints as before`);
  } else {
    text = edit(text, ['statusLine'], { type: 'command', command: statusCommand }, fo);
    summary.push('statusLine: added (prints nothing of its own; it only records what the client reports)');
  }
  if (blank && !text.endsWith(fo.eol ?? '\n')) text += fo.eol ?? '\n';
  return {
    ok: true,
    text,
    summary,
    undo: {
      events: [...spec.events],
      hookCommand: spec.hookCommand,
      statusLine: { command: statusCommand, previousCommand, created: !statusNode },
      createdHooksKey: !hooksNode,
      createdEvents: hooksNode ? createdEvents : [...spec.events],
    },
  };
}

/**
 * Remove what Connect added from a settings file that changed since Connect wrote it. `found` is
 * false when none of Taximeter's entries is left (already removed by hand).
 */
export function planClaudeDisconnect(current: string, undo: ClaudeConnectUndo, marker: string): DisconnectPlan {
  const parsed = parseObject(current);
  if ('reason' in parsed) return { ok: false, reason: `The settings file changed since Taximeter connected and ${parsed.reason}; Taximeter will not guess. Fix it, or restore the backup.` };
  let text = current;
  const fo = formattingOf(current);
  let found = false;
  const reparse = (): Node => {
    const p = parseObject(text);
    if ('reason' in p) throw new Error(`edit produced invalid JSON: ${p.reason}`);
    return p.root;
  };
  // Hooks: remove our hook from each event's list (the whole group when it holds only ours).
  const hooksNode = findNodeAtLocation(parsed.root, ['hooks']);
  if (hooksNode?.type === 'object') {
    for (const prop of hooksNode.children ?? []) {
      const ev = prop.children?.[0]?.value as unknown;
      const arr = prop.children?.[1];
      if (typeof ev !== 'string' || arr?.type !== 'array') continue;
      const groups = arr.children ?? [];
      for (let gi = groups.length - 1; gi >= 0; gi--) {
        const g = groups[gi];
        const inner = g ? findNodeAtLocation(g, ['hooks']) : undefined;
        if (inner?.type !== 'array') continue;
        const items = inner.children ?? [];
        for (let hi = items.length - 1; hi >= 0; hi--) {
          const item = items[hi];
          const cmd: unknown = item ? getNodeValue(findNodeAtLocation(item, ['command']) ?? item) : undefined;
          if (typeof cmd !== 'string' || !cmd.includes(marker)) continue;
          if (cmd !== undo.hookCommand) return { ok: false, reason: `Taximeter's hook in "hooks.${ev}" was edited since Connect (${JSON.stringify(cmd)}); Taximeter will not guess what to keep. Remove it by hand, or restore the backup.` };
          found = true;
          text = items.length === 1 ? edit(text, ['hooks', ev, gi], undefined, fo) : edit(text, ['hooks', ev, gi, 'hooks', hi], undefined, fo);
        }
      }
    }
    // Lists and the `hooks` key Connect created, when they are empty again.
    let root = reparse();
    for (const ev of undo.createdEvents) {
      const arr = findNodeAtLocation(root, ['hooks', ev]);
      if (arr?.type === 'array' && (arr.children ?? []).length === 0) {
        text = edit(text, ['hooks', ev], undefined, fo);
        root = reparse();
      }
    }
    const h = findNodeAtLocation(root, ['hooks']);
    if (undo.createdHooksKey && h?.type === 'object' && (h.children ?? []).length === 0) text = edit(text, ['hooks'], undefined, fo);
  }
  // Status line: restore the previous command (or remove the entry Connect added).
  const root = reparse();
  const cmdNode = findNodeAtLocation(root, ['statusLine', 'command']);
  const cmd: unknown = cmdNode ? getNodeValue(cmdNode) : undefined;
  if (typeof cmd === 'string' && cmd.includes(marker)) {
    if (cmd !== undo.statusLine.command) return { ok: false, reason: `Taximeter's status line command was edited since Connect (${JSON.stringify(cmd)}); Taximeter will not guess. Set "statusLine" by hand, or restore the backup.` };
    found = true;
    if (undo.statusLine.previousCommand !== null) text = edit(text, ['statusLine', 'command'], undo.statusLine.previousCommand, fo);
    else text = edit(text, ['statusLine'], undefined, fo);
  }
  return { ok: true, text, found };
}
