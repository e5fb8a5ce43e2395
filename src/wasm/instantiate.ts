/**
 * A module of ours instantiated (no imports; WebAssembly reached through globalThis: these files
 * are also type-checked without the DOM's or Node's types). Throws where WebAssembly is missing or
 * the module does not load; callers then use their JavaScript path.
 */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

export function instantiateWasm<Exports>(bytes: Uint8Array): Exports {
  const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  if (!api) throw new Error('no WebAssembly');
  return new api.Instance(new api.Module(bytes), {}).exports as Exports;
}
