/*
 * A validating JSON scanner that finds a few values in a JSON object without building it.
 *
 * The caller registers a tree of keys (slots) once — e.g. `type`, `message`, `message.usage`,
 * `message.usage.input_tokens` — then copies one line at a time into `input` and calls `project`.
 * The scanner checks the whole line against the JSON grammar (RFC 8259, as JSON.parse accepts it)
 * and records where each registered key's value is, its kind, and, for small whole numbers,
 * the value. A key seen twice keeps its last value, as in JSON.parse; a container seen again
 * forgets what its earlier value held.
 *
 * It never has to be right about a line it declines: it answers 0 ("let JSON.parse decide") for
 * anything invalid or unusual (a key with escapes or non-ASCII bytes where keys are matched,
 * nesting deeper than MAX_DEPTH, a line longer than MAX_INPUT, a line that is not an object), and
 * 1 only for a valid JSON object.
 *
 * Built with clang for wasm32 (no libc, no allocation, fixed memory; strings are scanned 16 bytes
 * at a time with wasm SIMD): `npm run build:wasm` writes src/wasm/project-wasm.ts.
 */
#include <stdint.h>
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(name)))

#define MAX_INPUT (4 * 1024 * 1024)
#define MAX_SLOTS 64
#define TABLE_SIZE 256
#define KEY_ARENA 2048
#define MAX_DEPTH 48

enum Kind {
  K_ABSENT = 0,
  K_PLAIN_STRING = 1,  /* ASCII, no escapes: the bytes between the quotes are the string */
  K_STRING = 2,        /* escapes or non-ASCII bytes: decode the span */
  K_INT = 3,           /* digits only, at most 15: value in slot_num */
  K_NUMBER = 4,        /* any other number: convert the span */
  K_TRUE = 5,
  K_FALSE = 6,
  K_NULL = 7,
  K_OBJECT = 8,
  K_ARRAY = 9,
};

static unsigned char input[MAX_INPUT];
static int32_t slot_kind[MAX_SLOTS];
static int32_t slot_start[MAX_SLOTS];
static int32_t slot_end[MAX_SLOTS];
static double slot_num[MAX_SLOTS];
/*
 * The last plain string (at most PREV_MAX bytes) recorded in each slot, on any line, and a version
 * bumped whenever it changes: the caller keeps the string it decoded with the version it saw, and
 * reuses it while the version holds (a transcript repeats its session, folder, branch and model on
 * every line).
 */
#define PREV_MAX 64
static uint32_t slot_version[MAX_SLOTS];
static int32_t slot_prev_len[MAX_SLOTS];
static unsigned char slot_prev[MAX_SLOTS][PREV_MAX];

/* The key tree: a slot's parent (-1: the top object), its key, and the end of its subtree. */
static int32_t slot_parent[MAX_SLOTS];
static int32_t slot_key_at[MAX_SLOTS];
static int32_t slot_key_len[MAX_SLOTS];
static int32_t slot_desc_end[MAX_SLOTS];
static int32_t slot_has_children[MAX_SLOTS + 1];
static int32_t nslots = 0;
static unsigned char key_arena[KEY_ARENA];
/* Open addressing: (parent, key) → slot + 1 (0: empty). */
static int32_t table[TABLE_SIZE];

static const unsigned char *p;
static const unsigned char *end;
static int depth;

static uint32_t hash_step(uint32_t h, unsigned char c) { return (h ^ c) * 16777619u; }
static uint32_t hash_final(uint32_t h, int32_t parent) { return (h ^ (uint32_t)(parent + 2) * 2654435761u) & (TABLE_SIZE - 1); }

/* Register `key` (written at key_arena + at, `len` bytes) under `parent`; returns its slot or -1. */
EXPORT("add_slot") int32_t add_slot(int32_t parent, int32_t at, int32_t len) {
  if (nslots >= MAX_SLOTS || parent >= nslots || parent < -1 || at < 0 || len <= 0 || at + len > KEY_ARENA) return -1;
  /* Slots are registered depth first: a parent's subtree is the run of slots after it. */
  if (parent >= 0 && slot_desc_end[parent] != nslots) return -1;
  int32_t s = nslots++;
  slot_parent[s] = parent;
  slot_key_at[s] = at;
  slot_key_len[s] = len;
  slot_desc_end[s] = s + 1;
  slot_prev_len[s] = -1;
  slot_has_children[s + 1] = 0;
  for (int32_t a = parent; a >= 0; a = slot_parent[a]) slot_desc_end[a] = s + 1;
  slot_has_children[parent + 1] = 1;
  uint32_t h = 2166136261u;
  for (int32_t i = 0; i < len; i++) h = hash_step(h, key_arena[at + i]);
  uint32_t i = hash_final(h, parent);
  while (table[i] != 0) i = (i + 1) & (TABLE_SIZE - 1);
  table[i] = s + 1;
  return s;
}

static int32_t lookup(int32_t parent, const unsigned char *key, int32_t len, uint32_t h) {
  uint32_t i = hash_final(h, parent);
  for (;;) {
    int32_t e = table[i];
    if (e == 0) return -1;
    int32_t s = e - 1;
    if (slot_parent[s] == parent && slot_key_len[s] == len) {
      const unsigned char *k = key_arena + slot_key_at[s];
      int32_t j = 0;
      while (j < len && k[j] == key[j]) j++;
      if (j == len) return s;
    }
    i = (i + 1) & (TABLE_SIZE - 1);
  }
}

static void clear_below(int32_t s) {
  for (int32_t d = s + 1; d < slot_desc_end[s]; d++) slot_kind[d] = K_ABSENT;
}

static void skip_ws(void) {
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
}

static int is_hex(unsigned char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

/* 1 for the bytes a string holds as they are: printable ASCII other than `"` and `\\`. */
static unsigned char plain_byte[256];

static void init_tables(void) {
  for (int c = 0; c < 256; c++) plain_byte[c] = c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/* After a backslash at p: skip one JSON escape; 0 if it is not one. */
static int skip_escape(void) {
  if (p + 1 >= end) return 0;
  unsigned char e = p[1];
  if (e == 'u') {
    if (p + 5 >= end || !is_hex(p[2]) || !is_hex(p[3]) || !is_hex(p[4]) || !is_hex(p[5])) return 0;
    p += 6;
    return 1;
  }
  if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' || e == 't') {
    p += 2;
    return 1;
  }
  return 0;
}

/*
 * A string starting at its opening quote. Returns 0 if invalid, else 1 (plain: ASCII, no escapes)
 * or 2. Keys also get the FNV-1a hash of their bytes (`h`).
 */
static int scan_key(uint32_t *h) {
  p++;
  uint32_t hv = 2166136261u;
  while (p < end && plain_byte[*p]) hv = hash_step(hv, *p++);
  if (p < end && *p == '"') {
    p++;
    *h = hv;
    return 1;
  }
  /* Not plain: validate the rest; the key cannot be matched. */
  for (;;) {
    if (p >= end) return 0;
    unsigned char c = *p;
    if (c == '"') {
      p++;
      *h = hv;
      return 2;
    }
    if (c < 0x20) return 0;
    if (c == '\\') {
      if (!skip_escape()) return 0;
    } else {
      p++;
    }
  }
}

static int scan_string(void) {
  p++;
  int plain = 1;
  const v128_t quote = wasm_i8x16_splat('"');
  const v128_t backslash = wasm_i8x16_splat('\\');
  const v128_t space = wasm_i8x16_splat(0x20);
  for (;;) {
    /* 16 bytes at a time up to the first quote, backslash or control character; a byte above
       0x7f only makes the string not plain. */
    while (end - p >= 16) {
      v128_t v = wasm_v128_load(p);
      v128_t stop = wasm_v128_or(wasm_v128_or(wasm_i8x16_eq(v, quote), wasm_i8x16_eq(v, backslash)), wasm_u8x16_lt(v, space));
      uint32_t m = (uint32_t)wasm_i8x16_bitmask(stop);
      uint32_t high = (uint32_t)wasm_i8x16_bitmask(v);
      if (m == 0) {
        if (high) plain = 0;
        p += 16;
        continue;
      }
      uint32_t before = m & (0u - m);
      if (high & (before - 1)) plain = 0;
      p += __builtin_ctz(m);
      break;
    }
    while (p < end && plain_byte[*p]) p++;
    if (p >= end) return 0;
    unsigned char c = *p;
    if (c == '"') {
      p++;
      return plain ? 1 : 2;
    }
    if (c < 0x20) return 0;
    plain = 0;
    if (c == '\\') {
      if (!skip_escape()) return 0;
    } else {
      p++;
    }
  }
}

/* A number per the JSON grammar; returns 0 if invalid, K_INT (value in *v) or K_NUMBER. */
static int scan_number(double *v) {
  const unsigned char *s = p;
  int simple = 1;
  if (p < end && *p == '-') {
    simple = 0;
    p++;
  }
  if (p >= end) return 0;
  if (*p == '0') {
    p++;
  } else if (*p >= '1' && *p <= '9') {
    while (p < end && *p >= '0' && *p <= '9') p++;
  } else {
    return 0;
  }
  if (p < end && *p == '.') {
    simple = 0;
    p++;
    if (p >= end || *p < '0' || *p > '9') return 0;
    while (p < end && *p >= '0' && *p <= '9') p++;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    simple = 0;
    p++;
    if (p < end && (*p == '+' || *p == '-')) p++;
    if (p >= end || *p < '0' || *p > '9') return 0;
    while (p < end && *p >= '0' && *p <= '9') p++;
  }
  if (simple && p - s <= 15) {
    double x = 0;
    for (const unsigned char *q = s; q < p; q++) x = x * 10 + (*q - '0');
    *v = x;
    return K_INT;
  }
  return K_NUMBER;
}

static int literal(const char *word, int len) {
  if (end - p < len) return 0;
  for (int i = 0; i < len; i++)
    if (p[i] != (unsigned char)word[i]) return 0;
  p += len;
  return 1;
}

static int scan_value(int32_t slot);

/* Entering a container at its opening bracket: 0 when nested too deep. */
static int open_container(void) {
  if (++depth > MAX_DEPTH) return 0;
  p++;
  skip_ws();
  return 1;
}

/*
 * After a member of a container: 1 when a comma follows (another member comes), 2 when the
 * container closes with `close`, 0 when neither (invalid).
 */
static int after_member(unsigned char close) {
  skip_ws();
  if (p >= end) return 0;
  if (*p == ',') {
    p++;
    skip_ws();
    return 1;
  }
  if (*p == close) {
    p++;
    depth--;
    return 2;
  }
  return 0;
}

/* An object starting at `{`: the value of `slot` (-1: the top object; -2: a value not tracked). */
static int scan_object(int32_t slot) {
  if (!open_container()) return 0;
  int matched = slot >= -1 && slot_has_children[slot + 1];
  if (p < end && *p == '}') {
    p++;
    depth--;
    return 1;
  }
  for (;;) {
    if (p >= end || *p != '"') return 0;
    const unsigned char *key = p + 1;
    int32_t child = -1;
    if (matched) {
      uint32_t h;
      int ks = scan_key(&h);
      /* A key with escapes could equal a registered one once decoded: let JSON.parse decide. */
      if (ks != 1) return 0;
      child = lookup(slot, key, (int32_t)(p - 1 - key), h);
    } else if (!scan_string()) {
      return 0;
    }
    skip_ws();
    if (p >= end || *p != ':') return 0;
    p++;
    skip_ws();
    if (!scan_value(child)) return 0;
    int next = after_member('}');
    if (next != 1) return next == 2;
  }
}

static int scan_array(void) {
  if (!open_container()) return 0;
  if (p < end && *p == ']') {
    p++;
    depth--;
    return 1;
  }
  for (;;) {
    if (!scan_value(-1)) return 0;
    int next = after_member(']');
    if (next != 1) return next == 2;
  }
}

/* Note a plain string's bytes as the slot's last one (see slot_version). */
static void remember(int32_t slot, const unsigned char *bytes, int32_t len) {
  unsigned char *prev = slot_prev[slot];
  if (len == slot_prev_len[slot]) {
    int32_t i = 0;
    while (i < len && prev[i] == bytes[i]) i++;
    if (i == len) return;
  }
  slot_version[slot]++;
  if (len > PREV_MAX) {
    slot_prev_len[slot] = -1;
    return;
  }
  for (int32_t i = 0; i < len; i++) prev[i] = bytes[i];
  slot_prev_len[slot] = len;
}

/* A value at `p` (after blanks); recorded in `slot` when it is one (>= 0). */
static int scan_value(int32_t slot) {
  if (p >= end) return 0;
  const unsigned char *start = p;
  int kind;
  double num = 0;
  if (slot >= 0) clear_below(slot);
  switch (*p) {
    case '{':
      kind = K_OBJECT;
      if (!scan_object(slot >= 0 ? slot : -2)) return 0;
      break;
    case '[':
      kind = K_ARRAY;
      if (!scan_array()) return 0;
      break;
    case '"': {
      int r = scan_string();
      if (!r) return 0;
      kind = r == 1 ? K_PLAIN_STRING : K_STRING;
      break;
    }
    case 't':
      kind = K_TRUE;
      if (!literal("true", 4)) return 0;
      break;
    case 'f':
      kind = K_FALSE;
      if (!literal("false", 5)) return 0;
      break;
    case 'n':
      kind = K_NULL;
      if (!literal("null", 4)) return 0;
      break;
    default:
      kind = scan_number(&num);
      if (!kind) return 0;
  }
  if (slot >= 0) {
    slot_kind[slot] = kind;
    slot_start[slot] = (int32_t)(start - input);
    slot_end[slot] = (int32_t)(p - input);
    slot_num[slot] = num;
    if (kind == K_PLAIN_STRING) remember(slot, start + 1, (int32_t)(p - start) - 2);
  }
  return 1;
}

/*
 * Scan input[0, len): 1 when it is one valid JSON object (blanks around it allowed) and the
 * slots describe it; 0 when JSON.parse must decide.
 */
EXPORT("project") int32_t project(int32_t len) {
  if (len < 0 || len > MAX_INPUT) return 0;
  if (!plain_byte['a']) init_tables();
  for (int32_t s = 0; s < nslots; s++) slot_kind[s] = K_ABSENT;
  p = input;
  end = input + len;
  depth = 0;
  skip_ws();
  if (p >= end || *p != '{') return 0;
  if (!scan_object(-1)) return 0;
  skip_ws();
  return p == end;
}

/* Where the caller writes a line and keys, and reads the slots. */
EXPORT("input") unsigned char *input_at(void) { return input; }
EXPORT("max_input") int32_t max_input(void) { return MAX_INPUT; }
EXPORT("key_arena") unsigned char *key_arena_at(void) { return key_arena; }
EXPORT("key_arena_size") int32_t key_arena_size(void) { return KEY_ARENA; }
EXPORT("max_slots") int32_t max_slots(void) { return MAX_SLOTS; }
EXPORT("slot_kind") int32_t *slot_kind_at(void) { return slot_kind; }
EXPORT("slot_start") int32_t *slot_start_at(void) { return slot_start; }
EXPORT("slot_end") int32_t *slot_end_at(void) { return slot_end; }
EXPORT("slot_num") double *slot_num_at(void) { return slot_num; }
EXPORT("slot_version") uint32_t *slot_version_at(void) { return slot_version; }
