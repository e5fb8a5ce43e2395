#!/bin/sh
# Taximeter: a Claude Code hook (installed by "Taximeter: Connect Claude Code", removed by
# "Disconnect"). It appends the hook's stdin, one JSON object, to a spool file on this machine with
# the time it was received. No network. It never fails the hook chain: it always exits 0 and prints
# nothing. Long free text (prompts, assistant messages, summaries) is not kept.
# Usage: hook.sh <spool file>
spool=$1
[ -n "$spool" ] || exit 0
# The spool is capped at 64 MB (Taximeter reads it incrementally; a runaway must not fill the disk).
size=$({ wc -c < "$spool"; } 2>/dev/null || echo 0)
[ "${size:-0}" -lt 67108864 ] 2>/dev/null || exit 0
ms=$(date +%s%3N 2>/dev/null)
case $ms in '' | *[!0-9]*) ms="$(date +%s)000" ;; esac
# JSON never needs a raw newline, so the payload becomes one line.
payload=$(cat 2>/dev/null | tr -d '\r\n' | sed -E 's/"(prompt|last_assistant_message|compact_summary|custom_instructions)":"([^"\\]|\\.)*"/"\1":null/g' 2>/dev/null)
case $payload in
  '{'*'}') { printf '{"v":1,"t":%s,"k":"hook","p":%s}\n' "$ms" "$payload" >> "$spool"; } 2>/dev/null ;;
esac
exit 0
