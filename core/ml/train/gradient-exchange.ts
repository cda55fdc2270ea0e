/**
 * Synchronous data-parallel training across worker threads. tfjs-backend-wasm computes with one
 * thread in Node, so a machine with several cores trains faster with several workers, each with
 * its own wasm instance, its own random crops and a copy of the model: every step each worker
 * computes gradients on its batch, the gradients are averaged through a SharedArrayBuffer, and
 * every worker applies the same averaged gradient with the same optimizer state, so the copies
 * stay bit-identical (same wasm binary, same inputs, same operation order).
 *
 * Layout of the shared buffer: Int32 control words [generation, arrived, flag, abort] followed
 * by `size` float32 slots of `length` values. Worker 0 (the leader) decides when to stop
 * (budget, early stopping), validates and reports; a failing or cancelled worker raises the
 * abort word so that nobody waits forever.
 */
import { AppError } from '../../api/errors';

const GEN = 0;
const COUNT = 1;
const FLAG = 2;
const ABORT = 3;
const CONTROL_INTS = 4;

export function exchangeBufferBytes(size: number, length: number): number {
  return CONTROL_INTS * 4 + size * length * 4;
}

/** A buffer for `size` workers exchanging vectors of `length` float32 values. */
export function createExchangeBuffer(size: number, length: number): SharedArrayBuffer {
  return new SharedArrayBuffer(exchangeBufferBytes(size, length));
}

export class GradientExchange {
  private readonly ctrl: Int32Array;
  private readonly slots: Float32Array[];
  private readonly out: Float32Array;

  constructor(
    readonly buffer: SharedArrayBuffer,
    readonly rank: number,
    readonly size: number,
    readonly length: number,
    private readonly timeoutMs = 10 * 60_000,
  ) {
    if (buffer.byteLength < exchangeBufferBytes(size, length)) throw new RangeError(`the exchange buffer holds ${buffer.byteLength} bytes; ${size} x ${length} values need ${exchangeBufferBytes(size, length)}`);
    this.ctrl = new Int32Array(buffer, 0, CONTROL_INTS);
    this.slots = Array.from({ length: size }, (_, i) => new Float32Array(buffer, CONTROL_INTS * 4 + i * length * 4, length));
    this.out = new Float32Array(length);
  }

  get isLeader(): boolean {
    return this.rank === 0;
  }

  /** Tells every worker to stop waiting (a failure or cancellation somewhere). */
  abort(code: 1 | 2 = 1): void {
    Atomics.store(this.ctrl, ABORT, code);
    Atomics.add(this.ctrl, GEN, 1);
    Atomics.notify(this.ctrl, GEN);
  }

  private checkAbort(): void {
    const a = Atomics.load(this.ctrl, ABORT);
    if (a === 2) throw new AppError('cancelled', 'Training was cancelled.');
    if (a !== 0) throw new AppError('internal', 'Another training worker failed.');
  }

  /** Waits until all `size` workers have arrived. */
  barrier(): void {
    this.checkAbort();
    if (this.size === 1) return;
    const gen = Atomics.load(this.ctrl, GEN);
    if (Atomics.add(this.ctrl, COUNT, 1) === this.size - 1) {
      Atomics.store(this.ctrl, COUNT, 0);
      Atomics.add(this.ctrl, GEN, 1);
      Atomics.notify(this.ctrl, GEN);
    } else {
      const t0 = Date.now();
      while (Atomics.load(this.ctrl, GEN) === gen) {
        this.checkAbort();
        if (Date.now() - t0 > this.timeoutMs) throw new AppError('internal', 'A training worker stopped responding.');
        Atomics.wait(this.ctrl, GEN, gen, 200);
      }
    }
    this.checkAbort();
  }

  /** The mean over workers of `values` (summed in rank order: identical in every worker). */
  allReduceMean(values: Float32Array): Float32Array {
    if (values.length !== this.length) throw new RangeError(`expected ${this.length} values, got ${values.length}`);
    if (this.size === 1) return values;
    this.slots[this.rank]!.set(values);
    this.barrier();
    const out = this.out;
    out.set(this.slots[0]!);
    for (let r = 1; r < this.size; r++) {
      const s = this.slots[r]!;
      for (let i = 0; i < out.length; i++) out[i]! += s[i]!;
    }
    const inv = 1 / this.size;
    for (let i = 0; i < out.length; i++) out[i]! *= inv;
    this.barrier(); // nobody overwrites a slot before everyone has read it
    return out;
  }

  /** The leader's values, in every worker (at most `length` values). */
  broadcast(values: Float32Array | null): Float32Array {
    if (this.isLeader) {
      if (!values) throw new RangeError('the leader must broadcast values');
      this.slots[0]!.set(values);
    }
    this.barrier();
    const out = this.slots[0]!.slice();
    this.barrier();
    return out;
  }

  /** The leader's decision (e.g. "run another step"), in every worker. */
  decide(leaderSays: boolean): boolean {
    if (this.isLeader) Atomics.store(this.ctrl, FLAG, leaderSays ? 1 : 0);
    this.barrier();
    const v = Atomics.load(this.ctrl, FLAG) === 1;
    this.barrier();
    return v;
  }
}
