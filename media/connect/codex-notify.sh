#!/bin/sh
# Taximeter: Codex CLI's `notify` command (installed by "Taximeter: Connect Codex CLI", removed by
# "Disconnect"). Codex runs it after every turn with one JSON argument; Taximeter only uses it as a
# "re-read the rollout now" signal, so it records the time, the thread and the turn, nothing else.
# Then it runs your previous notify command, if you had one, with the same arguments.
# Usage: codex-notify.sh <spool file> [previous command and its arguments ...] <json>
spool=$1
shift
ms=$(date +%s%3N 2>/dev/null)
case $ms in '' | *[!0-9]*) ms="$(date +%s)000" ;; esac
for last in "$@"; do :; done
thread=$(printf '%s' "${last:-}" | tr -d '\r\n' | sed -n -E 's/.*"thread-id":"([A-Za-z0-9_-]{1,80})".*/\1/p')
turn=$(printf '%s' "${last:-}" | tr -d '\r\n' | sed -n -E 's/.*"turn-id":"([A-Za-z0-9_-]{1,80})".*/\1/p')
if [ -n "$spool" ]; then
  { printf '{"v":1,"t":%s,"k":"codex-notify","p":{"thread":"%s","turn":"%s"}}\n' "$ms" "$thread" "$turn" >> "$spool"; } 2>/dev/null
fi
if [ "$#" -gt 1 ]; then
  "$@"
fi
exit 0
