/**
 * Maskwright's own SIMD wasm kernels (C sources in ./c, built by scripts/build-wasm-kernels.mjs
 * into c/maskwright-kernels.wasm and embedded as ./native-wasm-bytes.ts), bound to the tfjs
 * wasm backend's memory.
 *
 * The module imports the backend's WebAssembly.Memory (`backend.wasm.asm.memory`, the
 * Emscripten module's exported memory), so kernels read their inputs and write their outputs
 * in place at the tensors' heap offsets: no copies in or out. It owns no memory of its own (no
 * static data, no shadow stack; the build checks both), so sharing the heap is safe; when the
 * backend's heap grows, the same Memory object grows and the instance sees it.
 *
 * Where the module cannot be bound (no SIMD in the engine, a shared memory from the threaded
 * build, a backend without the Emscripten internals we rely on), `nativeKernelsFor` returns
 * null and callers use their composite (XNNPACK-based) kernels instead; `nativeKernelStatus`
 * says why. `setNativeKernelsEnabled(false)` (or MASKWRIGHT_NATIVE_KERNELS=0) turns them off,
 * for comparisons.
 */
import type { DataId, KernelBackend, TensorInfo } from '@tensorflow/tfjs';
import { NATIVE_WASM_BASE64, NATIVE_WASM_SHA256 } from './native-wasm-bytes';

/** What our kernels need from tfjs-backend-wasm's BackendWasm (not part of its public types). */
interface WasmBackendInternals {
  wasm: { asm?: { memory?: unknown } };
  dataIdMap: { get(dataId: DataId): { memoryOffset: number } | undefined };
}

/** The bits of the WebAssembly JS API we use (core's TS config has no DOM lib to declare it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
  Memory: abstract new (...args: never[]) => WasmMemory;
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface NativeExports {
  conv2d_filter_grad(...args: number[]): void;
  conv2d_nhwc(...args: number[]): void;
  filter_flip_swap(...args: number[]): void;
  conv2d_input_grad(...args: number[]): void;
  sum_runs(...args: number[]): void;
  binary_runs(...args: number[]): void;
}

export interface NativeKernels {
  readonly memory: WasmMemory;
  readonly exports: NativeExports;
  /** byte offset of a float32 tensor's data in the heap */
  offset(t: TensorInfo): number;
}

let compiled: object | null = null;
let failure: string | null = null;
let enabled = envSwitch('MASKWRIGHT_NATIVE_KERNELS');
/** per backend memory: our bound kernels, or null where they cannot be bound to it */
const bound = new WeakMap<object, NativeKernels | null>();

/** Turns our native kernels on or off (they are on by default); returns the previous setting. */
export function setNativeKernelsEnabled(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}

export function nativeKernelsEnabled(): boolean {
  return enabled;
}

function decodeBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The module's bytes (the committed .wasm), for tests and tools. */
export function nativeWasmBytes(): Uint8Array {
  return decodeBase64(NATIVE_WASM_BASE64);
}

export { NATIVE_WASM_SHA256 };

let compileFailure: string | null = null;

/**
 * The kernel module, compiled once per thread and shared by the tfjs kernels here and the live
 * classifier's kernels (live-kernels.ts), or why it does not compile (null module).
 */
export function kernelModule(): { module: object | null; failure: string | null } {
  if (!compiled && !compileFailure) {
    try {
      if (!WA) throw new Error('no WebAssembly here');
      compiled = new WA.Module(nativeWasmBytes());
    } catch (e) {
      compileFailure = `the kernel module does not compile here (${e instanceof Error ? e.message : String(e)}): no SIMD?`;
    }
  }
  return { module: compiled, failure: compileFailure };
}

/** An on-by-default switch read from the environment: '0', 'off' or 'false' turn it off. */
export function envSwitch(name: string): boolean {
  const v = typeof process !== 'undefined' ? process.env?.[name] : undefined;
  return !(v === '0' || v === 'off' || v === 'false');
}

function compile(): object | null {
  const { module, failure: f } = kernelModule();
  if (f && !failure) failure = f;
  return module;
}

function memoryOf(backend: KernelBackend): WasmMemory | null {
  const mem = (backend as unknown as Partial<WasmBackendInternals>).wasm?.asm?.memory;
  return WA && mem instanceof WA.Memory ? (mem as WasmMemory) : null;
}

/**
 * Our kernels bound to `backend`'s heap, or null (then use the fallback). Instantiated once per
 * backend memory.
 */
export function nativeKernelsFor(backend: KernelBackend): NativeKernels | null {
  if (!enabled) return null;
  const memory = memoryOf(backend);
  if (!memory) return null;
  const have = bound.get(memory);
  if (have !== undefined) return have;
  const mod = compile();
  if (!mod) return null;
  let instance: { exports: Record<string, unknown> };
  try {
    instance = new WA.Instance(mod, { env: { memory } });
  } catch (e) {
    // e.g. the threaded build's shared memory: our module declares an unshared one
    failure = `the kernel module cannot use the backend's memory (${e instanceof Error ? e.message : String(e)})`;
    bound.set(memory, null);
    return null;
  }
  const map = (backend as unknown as WasmBackendInternals).dataIdMap;
  const k: NativeKernels = {
    memory,
    exports: instance.exports as unknown as NativeExports,
    offset(t) {
      const d = map.get(t.dataId);
      if (!d) throw new Error('tensor is not on the wasm backend');
      return d.memoryOffset;
    },
  };
  bound.set(memory, k);
  return k;
}

/** Whether our kernels run on `backend`, and if not why. */
export function nativeKernelStatus(backend: KernelBackend): { active: boolean; reason: string } {
  if (!enabled) return { active: false, reason: 'turned off (setNativeKernelsEnabled / MASKWRIGHT_NATIVE_KERNELS=0)' };
  if (!memoryOf(backend)) return { active: false, reason: 'not the tfjs wasm backend (no Emscripten memory)' };
  if (nativeKernelsFor(backend)) return { active: true, reason: `Maskwright SIMD kernels (sha256 ${NATIVE_WASM_SHA256.slice(0, 12)})` };
  return { active: false, reason: failure ?? 'unavailable' };
}
