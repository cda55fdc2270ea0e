/**
 * The live classifier's SIMD kernels (c/filter-bank.c: separable filters, per-pixel
 * combinations, box pyramid, upsampling into HWC, forest predict) on a WebAssembly.Memory of
 * their own. The module is the same one the tfjs training kernels bind to the backend's heap
 * (native-kernels.ts); here it gets a fresh memory, so the two never share state.
 *
 * `liveKernels()` returns an arena (bump allocator over that memory) or null where the module
 * cannot be compiled or instantiated synchronously (no SIMD; a browser main thread that refuses
 * synchronous compilation); callers then run their pure-TS code. `setLiveKernelsEnabled(false)`
 * (or MASKWRIGHT_LIVE_WASM=0) forces the TS path, for tests and comparisons.
 *
 * Not re-entrant: one computation at a time per thread (each worker has its own instance).
 */
import { envSwitch, kernelModule } from './native-kernels';

interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
  Memory: new (desc: { initial: number; maximum?: number }) => WasmMemory;
}
const WA = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

export interface LiveKernelExports {
  fb_conv_rows(src: number, dst: number, w: number, h: number, k: number, n: number): void;
  fb_conv_cols(src: number, dst: number, w: number, h: number, k: number, n: number): void;
  fb_pixelwise(op: number, a: number, b: number, c: number, o0: number, o1: number, o2: number, n: number): void;
  fb_downsample_box(src: number, dst: number, w: number, h: number, f: number): void;
  fb_upsample_rows(src: number, dw: number, f: number, w: number, y0: number, y1: number, xi0: number, xi1: number, xt: number, yi0: number, yi1: number, yt: number, dst: number, stride: number, mul: number): void;
  fb_upsample_level(srcs: number, muls: number, np: number, dw: number, f: number, w: number, y0: number, y1: number, xi0: number, xi1: number, xt: number, yi0: number, yi1: number, yt: number, dst: number, stride: number): void;
  fb_planes_u8(src: number, n: number, c: number, colors: number, mul: number, add: number, planes: number): void;
  fb_planes_f32(src: number, n: number, c: number, colors: number, mul: number, add: number, planes: number): void;
  rf_predict(x: number, n: number, f: number, nodes: number, roots: number, depth: number, trees: number, value: number, classes: number, inv: number, out: number): void;
}

const PAGE = 65536;
/** memories above this are dropped after use (wasm memory never shrinks) */
const KEEP_BYTES = 192 * 2 ** 20;

/** A bump allocator over the kernels' memory. Pointers are byte offsets, 16-byte aligned. */
export class LiveKernels {
  private memory: WasmMemory;
  readonly k: LiveKernelExports;
  private top = 16;

  constructor(module: object, bytes: number) {
    this.memory = new WA!.Memory({ initial: Math.max(1, Math.ceil(bytes / PAGE)) });
    const inst = new WA!.Instance(module, { env: { memory: this.memory } });
    this.k = inst.exports as unknown as LiveKernelExports;
  }

  get byteLength(): number {
    return this.memory.buffer.byteLength;
  }

  /** room for `count` 4-byte values; returns the byte offset */
  alloc(count: number): number {
    const p = this.top;
    const end = p + ((count * 4 + 15) & ~15);
    if (end > this.memory.buffer.byteLength) this.memory.grow(Math.ceil((end - this.memory.buffer.byteLength) / PAGE));
    this.top = end;
    return p;
  }

  mark(): number {
    return this.top;
  }

  release(mark: number): void {
    this.top = mark;
  }

  f32(ptr: number, count: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, count);
  }

  i32(ptr: number, count: number): Int32Array {
    return new Int32Array(this.memory.buffer, ptr, count);
  }

  u8(ptr: number, count: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, ptr, count);
  }

  /** copies bytes in; returns their offset */
  putBytes(data: Uint8Array | Uint8ClampedArray): number {
    const p = this.alloc(Math.ceil(data.length / 4));
    this.u8(p, data.length).set(data);
    return p;
  }

  /** copies `data` in; returns its offset */
  put(data: Float32Array | Int32Array): number {
    const p = this.alloc(data.length);
    (data instanceof Float32Array ? this.f32(p, data.length) : this.i32(p, data.length)).set(data);
    return p;
  }
}

let module: object | null = null;
let failure: string | null = null;
let instance: LiveKernels | null = null;
let busy = false;
let enabled = envSwitch('MASKWRIGHT_LIVE_WASM');

/** Turns the wasm path of features and predict on or off (on by default); returns the previous setting. */
export function setLiveKernelsEnabled(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}

/** Why the wasm path is not used, or null when it is. */
export function liveKernelsUnavailable(): string | null {
  if (!enabled) return 'turned off (setLiveKernelsEnabled / MASKWRIGHT_LIVE_WASM=0)';
  if (!WA) return 'no WebAssembly here';
  compile();
  return failure;
}

function compile(): object | null {
  if (module || failure) return module;
  const k = kernelModule();
  module = k.module;
  failure = k.failure;
  return module;
}

/**
 * Runs `fn` with the kernels (memory reset to empty, at least `bytes` of it) and returns its
 * result, or returns `fallback()` where wasm is unavailable (or already in use further up the
 * stack).
 */
export function withLiveKernels<T>(bytes: number, fn: (k: LiveKernels) => T, fallback: () => T): T {
  if (!enabled || busy || !WA || !compile()) return fallback();
  let kern = instance;
  if (!kern || kern.byteLength < bytes) {
    try {
      kern = new LiveKernels(module!, bytes);
    } catch (e) {
      failure = `the kernel module cannot be instantiated (${e instanceof Error ? e.message : String(e)})`;
      return fallback();
    }
  }
  instance = null;
  busy = true;
  try {
    kern.release(16);
    return fn(kern);
  } finally {
    busy = false;
    instance = kern.byteLength <= KEEP_BYTES ? kern : null;
  }
}
