/**
 * cyrb53: a fast, well-mixed 53-bit string hash (public domain, bryc). Used for dedupe keys so the
 * meter and the persisted index hold numbers, not millions of id strings. With 53 bits, one million
 * ids collide with probability ~6e-5; a collision would drop one duplicate-looking request.
 */
export function hash53(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/**
 * `hash53` values (whole numbers in [0, 2^53)) → their position in insertion order: open
 * addressing over typed arrays. A cold scan looks up one line hash per transcript line and one
 * response key per response (tens of thousands); in a Set<number> or Map<number, …> each key was
 * a heap-allocated number the garbage collector copied, and every lookup went through the general
 * hash table. `HashSet53` and `HashMap53` are built on it.
 */
class HashIndex53 {
  /** Per slot: the key's position + 1 (0: empty). */
  private slots = new Int32Array(1024);
  private mask = 1023;
  /** The keys in insertion order. */
  private order = new Float64Array(512);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The key's position, or -1. */
  find(key: number): number {
    const slots = this.slots;
    const order = this.order;
    const mask = this.mask;
    for (let i = (key >>> 0) & mask; ; i = (i + 1) & mask) {
      const at = (slots[i] ?? 0) - 1;
      if (at < 0 || order[at] === key) return at;
    }
  }

  /** The key's position, added at the end when new (the size then grows). */
  insert(key: number): number {
    if (!(key >= 0 && key <= Number.MAX_SAFE_INTEGER && Number.isInteger(key))) throw new RangeError(`not a 53-bit hash: ${key}`);
    const slots = this.slots;
    const mask = this.mask;
    let i = (key >>> 0) & mask;
    for (; ; i = (i + 1) & mask) {
      const at = (slots[i] ?? 0) - 1;
      if (at < 0) break;
      if (this.order[at] === key) return at;
    }
    if (this.count === this.order.length) {
      const more = new Float64Array(2 * this.order.length);
      more.set(this.order);
      this.order = more;
    }
    const at = this.count++;
    this.order[at] = key;
    slots[i] = at + 1;
    // At most half full: probes stay short.
    if (2 * this.count > mask) this.grow();
    return at;
  }

  /** The keys, in the order they were added. */
  keys(): number[] {
    return Array.from(this.order.subarray(0, this.count));
  }

  private grow(): void {
    const size = 2 * (this.mask + 1);
    const slots = new Int32Array(size);
    const mask = size - 1;
    for (let at = 0; at < this.count; at++) {
      let i = ((this.order[at] ?? 0) >>> 0) & mask;
      while ((slots[i] ?? 0) !== 0) i = (i + 1) & mask;
      slots[i] = at + 1;
    }
    this.slots = slots;
    this.mask = mask;
  }
}

/** A set of `hash53` values (see `HashIndex53`). */
export class HashSet53 {
  private readonly index = new HashIndex53();

  get size(): number {
    return this.index.size;
  }

  has(key: number): boolean {
    return this.index.find(key) >= 0;
  }

  /** Adds `key` (a whole number in [0, 2^53)); false when it was there already. */
  add(key: number): boolean {
    const before = this.index.size;
    this.index.insert(key);
    return this.index.size > before;
  }

  /** The keys, in the order they were added. */
  values(): number[] {
    return this.index.keys();
  }
}

/** A map from `hash53` values (see `HashIndex53`); no deletion. */
export class HashMap53<V> {
  private readonly index = new HashIndex53();
  private readonly items: V[] = [];

  get size(): number {
    return this.index.size;
  }

  get(key: number): V | undefined {
    const at = this.index.find(key);
    return at < 0 ? undefined : this.items[at];
  }

  has(key: number): boolean {
    return this.index.find(key) >= 0;
  }

  set(key: number, value: V): void {
    this.items[this.index.insert(key)] = value;
  }

  /** The values, in the order their keys were first set. */
  values(): V[] {
    return this.items;
  }
}
