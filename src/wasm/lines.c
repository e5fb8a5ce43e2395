/*
 * The line scanner of a cold scan: finds the lines of a chunk of a transcript and decides, from
 * their bytes, which ones a reader keeps — the same verdicts as tail.ts (`objectShaped`, blank
 * lines) and filter.ts (`claudeLineFilter`) give, which stay the specification: a unit test feeds
 * both the same fixture and fuzzed chunks and requires the same lines and counts.
 *
 * Why wasm: a cold scan reads a gigabyte of lines through these checks in two threads, and the
 * JavaScript versions spent more time being compiled (V8's optimising compiler, once per thread)
 * than running. This module is compiled in a few milliseconds and scans 16 bytes at a time.
 *
 * The caller reads a chunk of the file into `chunk` and calls `scan(from, n, …)`: the complete lines
 * in chunk[from, n) (each ended by a newline inside it) are judged in order; kept ones are listed
 * in `kept_start` / `kept_end` (at most MAX_KEPT per call: `full` then says to call again from
 * `next`). The bytes after the last newline are the caller's (a line that continues in the next
 * chunk).
 *
 * Built with clang for wasm32 (no libc, fixed memory): `npm run build:wasm`.
 */
#include <stdint.h>
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(name)))

#define CHUNK (512 * 1024)
#define MAX_KEPT 8192

static unsigned char chunk[CHUNK + 16];
static int32_t kept_start[MAX_KEPT];
static int32_t kept_end[MAX_KEPT];

/* The outcome of the last `scan`. */
static int32_t next;     /* where the first line not judged starts */
static int32_t filtered; /* lines the filter dropped */
static int32_t malformed;
static int32_t oversized;
static int32_t stopped; /* the kept bytes reached the budget */
static int32_t full;    /* MAX_KEPT lines kept: call again from `next` */

EXPORT("chunk") unsigned char *chunk_at(void) { return chunk; }
EXPORT("chunk_size") int32_t chunk_size(void) { return CHUNK; }
EXPORT("kept_start") int32_t *kept_start_at(void) { return kept_start; }
EXPORT("kept_end") int32_t *kept_end_at(void) { return kept_end; }
EXPORT("max_kept") int32_t max_kept(void) { return MAX_KEPT; }
EXPORT("next") int32_t next_at(void) { return next; }
EXPORT("filtered") int32_t filtered_count(void) { return filtered; }
EXPORT("malformed") int32_t malformed_count(void) { return malformed; }
EXPORT("oversized") int32_t oversized_count(void) { return oversized; }
EXPORT("stopped") int32_t was_stopped(void) { return stopped; }
EXPORT("full") int32_t was_full(void) { return full; }

/* The first newline in [at, end), or -1. */
static int32_t find_newline(int32_t at, int32_t end) {
  const v128_t nl = wasm_i8x16_splat('\n');
  /* Long lines (most of the bytes): 64 bytes per step until one of them is a newline. */
  while (at + 64 <= end) {
    const unsigned char *q = chunk + at;
    v128_t a = wasm_i8x16_eq(wasm_v128_load(q), nl);
    v128_t b = wasm_i8x16_eq(wasm_v128_load(q + 16), nl);
    v128_t c = wasm_i8x16_eq(wasm_v128_load(q + 32), nl);
    v128_t d = wasm_i8x16_eq(wasm_v128_load(q + 48), nl);
    if (wasm_v128_any_true(wasm_v128_or(wasm_v128_or(a, b), wasm_v128_or(c, d)))) break;
    at += 64;
  }
  while (at + 16 <= end) {
    uint32_t m = wasm_i8x16_bitmask(wasm_i8x16_eq(wasm_v128_load(chunk + at), nl));
    if (m) return at + __builtin_ctz(m);
    at += 16;
  }
  for (; at < end; at++)
    if (chunk[at] == '\n') return at;
  return -1;
}

/* Whether the bytes can be a JSON object: `{` … `}` (blanks before, blanks and a CR after). */
static int object_shaped(int32_t s, int32_t e) {
  e--;
  while (s <= e && (chunk[s] == ' ' || chunk[s] == '\t')) s++;
  while (e >= s && (chunk[e] == ' ' || chunk[e] == '\t' || chunk[e] == '\r')) e--;
  return s < e && chunk[s] == '{' && chunk[e] == '}';
}

static int blank(int32_t s, int32_t e) {
  for (; s < e; s++)
    if (chunk[s] != ' ' && chunk[s] != '\t' && chunk[s] != '\r') return 0;
  return 1;
}

static int starts_with(int32_t at, int32_t end, const char *p, int32_t len) {
  if (at + len > end) return 0;
  for (int32_t i = 0; i < len; i++)
    if (chunk[at + i] != (unsigned char)p[i]) return 0;
  return 1;
}

#define LIT(s) s, (int32_t)(sizeof(s) - 1)

/* A record type the meter reads, named at `at` (with its closing quote). */
static int wanted_at(int32_t at, int32_t end) {
  return starts_with(at, end, LIT("assistant\"")) || starts_with(at, end, LIT("user\"")) || starts_with(at, end, LIT("system\"")) ||
         starts_with(at, end, LIT("cost-state\"")) || starts_with(at, end, LIT("queue-operation\""));
}

/* Where `p` (len ≥ 2) first occurs in [at, end), or -1: its first two bytes are looked for 16 positions at a time. */
static int32_t find(int32_t at, int32_t end, const char *p, int32_t len) {
  const v128_t a = wasm_i8x16_splat(p[0]);
  const v128_t b = wasm_i8x16_splat(p[1]);
  int32_t last = end - len; /* the last position it can start at */
  while (at <= last) {
    if (at + 17 <= end) {
      v128_t x = wasm_v128_and(wasm_i8x16_eq(wasm_v128_load(chunk + at), a), wasm_i8x16_eq(wasm_v128_load(chunk + at + 1), b));
      uint32_t m = wasm_i8x16_bitmask(x);
      while (m) {
        int32_t i = at + __builtin_ctz(m);
        if (i > last) return -1;
        if (starts_with(i, end, p, len)) return i;
        m &= m - 1;
      }
      at += 16;
    } else {
      if (starts_with(at, end, p, len)) return at;
      at++;
    }
  }
  return -1;
}

/* After a JSON string without escapes starting at `at` (`"…"`), or -1 (filter.ts: plainStringEnd). */
static int32_t plain_string_end(int32_t at, int32_t end) {
  if (at >= end || chunk[at] != '"') return -1;
  for (int32_t i = at + 1; i < end; i++) {
    unsigned char c = chunk[i];
    if (c == '"') return i + 1;
    if (c == '\\') return -1;
  }
  return -1;
}

/* filter.ts: isAttachmentHead. */
static int attachment_head(int32_t start, int32_t end) {
  if (!starts_with(start, end, LIT("{\"parentUuid\":"))) return 0;
  int32_t at = start + 14;
  if (starts_with(at, end, LIT("null")))
    at += 4;
  else if ((at = plain_string_end(at, end)) < 0)
    return 0;
  if (!starts_with(at, end, LIT(",\"isSidechain\":"))) return 0;
  at += 15;
  if (starts_with(at, end, LIT("true")))
    at += 4;
  else if (starts_with(at, end, LIT("false")))
    at += 5;
  else
    return 0;
  if (starts_with(at, end, LIT(",\"agentId\":\""))) {
    at = plain_string_end(at + 11, end);
    if (at < 0) return 0;
  }
  return starts_with(at, end, LIT(",\"attachment\":{"));
}

/* filter.ts: claudeLineFilter. */
static int claude_keeps(int32_t start, int32_t end) {
  if (starts_with(start, end, LIT("{\"type\":\""))) {
    int32_t at = start + 9;
    if (starts_with(at, end, LIT("queue-operation\""))) return find(start, end, LIT("\"content\":\"/clear")) >= 0;
    return wanted_at(at, end);
  }
  if (starts_with(start, end, LIT("{\"parentUuid\":"))) return !attachment_head(start, end);
  for (int32_t at = find(start, end, LIT("\"type\":\"")); at >= 0; at = find(at + 8, end, LIT("\"type\":\"")))
    if (wanted_at(at + 8, end)) return 1;
  return 0;
}

/*
 * Judge the complete lines of chunk[from, n). `max_line`: longer lines are oversized; `budget`:
 * stop after the kept line with which the kept bytes reach it; `filter`: 1 for Claude Code's
 * transcript filter, 0 to keep every object-shaped line. Returns how many lines it kept.
 */
EXPORT("scan") int32_t scan(int32_t from, int32_t n, int32_t max_line, double budget, int32_t filter) {
  int32_t count = 0;
  double handed = 0;
  filtered = malformed = oversized = stopped = full = 0;
  if (n > CHUNK) n = CHUNK;
  int32_t at = from;
  while (at < n) {
    int32_t nl = find_newline(at, n);
    if (nl < 0) break;
    if (nl > at) {
      if (nl - at > max_line)
        oversized++;
      else if (!object_shaped(at, nl)) {
        if (!blank(at, nl)) malformed++;
      } else if (!filter || claude_keeps(at, nl)) {
        kept_start[count] = at;
        kept_end[count] = nl;
        count++;
        handed += nl - at;
      } else
        filtered++;
    }
    at = nl + 1;
    if (handed >= budget) {
      stopped = 1;
      break;
    }
    if (count == MAX_KEPT) {
      full = 1;
      break;
    }
  }
  next = at;
  return count;
}
