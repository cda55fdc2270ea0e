/**
 * Shared plumbing for the wasm training kernels.
 *
 * Our kernels are compositions of ops the wasm backend already runs fast (XNNPACK convolutions,
 * pads, slices, transposes). A kernelFunc receives TensorInfos and must return TensorInfos
 * the engine can adopt; running high-level tf ops inside `tf.tidy` and returning the resulting
 * Tensor does exactly that: every intermediate is disposed when the tidy scope closes, the
 * result moves to the caller's scope, and the engine takes a returned Tensor as the output
 * as is (it only wraps plain TensorInfos). The engine raises `kernelDepth` while a kernel runs,
 * so nothing inside is recorded on a gradient tape.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelBackend, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';

type Pair = [number, number];

function isTensor(info: TensorInfo): info is tf.Tensor {
  return info instanceof tf.Tensor;
}

/**
 * A Tensor view of a kernel input. Ops hand kernels real Tensors; a bare TensorInfo (a kernel
 * called from another backend-level kernel) is wrapped with its own data reference, which the
 * enclosing tidy releases again.
 */
function asTensor(info: TensorInfo, backend: KernelBackend): tf.Tensor {
  if (isTensor(info)) return info;
  backend.incRef(info.dataId);
  return tf.engine().makeTensorFromTensorInfo(info, backend);
}

/**
 * Runs `body` on the named inputs inside one tidy scope and returns its single output as a
 * Tensor the engine adopts as the kernel's output. Never returns one of the inputs as is.
 */
export function runComposite<K extends string>(
  inputs: NamedTensorInfoMap,
  backend: KernelBackend,
  names: readonly K[],
  body: (t: Record<K, tf.Tensor>) => tf.Tensor,
): tf.Tensor {
  return tf.tidy(() => {
    const t = {} as Record<K, tf.Tensor>;
    for (const name of names) {
      const info = inputs[name];
      if (info == null) throw new Error(`kernel input '${name}' is missing`);
      t[name] = asTensor(info, backend);
    }
    const out = body(t);
    for (const name of names) if (out === inputs[name]) return tf.clone(out);
    return out;
  });
}

/** Normalises a number-or-pair attribute (strides, dilations) to a pair. */
export function pair(v: unknown, fallback: number): Pair {
  if (v == null) return [fallback, fallback];
  if (typeof v === 'number') return [v, v];
  const a = v as number[];
  return [a[0] ?? fallback, a[1] ?? a[0] ?? fallback];
}

export type PadAttr = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
export type RoundingAttr = 'floor' | 'round' | 'ceil' | undefined;

/** Reads the attributes every conv-family kernel carries. */
export function convAttrs(attrs: NamedAttrMap | undefined) {
  const a = (attrs ?? {}) as Record<string, unknown>;
  return {
    strides: pair(a['strides'], 1),
    dilations: pair(a['dilations'], 1),
    pad: a['pad'] as PadAttr,
    dimRoundingMode: (a['dimRoundingMode'] ?? undefined) as RoundingAttr,
    channelsFirst: a['dataFormat'] === 'NCHW',
  };
}

/**
 * Pads (positive amounts) or crops (negative amounts) the two spatial axes of an NHWC tensor.
 */
export function padOrCrop(x: tf.Tensor4D, top: number, bottom: number, left: number, right: number, value = 0): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const ct = Math.max(0, -top);
  const cb = Math.max(0, -bottom);
  const cl = Math.max(0, -left);
  const cr = Math.max(0, -right);
  let y = x;
  if (ct + cb + cl + cr > 0) {
    const hh = h - ct - cb;
    const ww = w - cl - cr;
    // nothing of x survives the crop: the result is all padding
    if (hh <= 0 || ww <= 0) return tf.fill([n, Math.max(0, h + top + bottom), Math.max(0, w + left + right), c], value);
    y = tf.slice(y, [0, ct, cl, 0], [n, hh, ww, c]);
  }
  const pt = Math.max(0, top);
  const pb = Math.max(0, bottom);
  const pl = Math.max(0, left);
  const pr = Math.max(0, right);
  if (pt + pb + pl + pr > 0) {
    y = tf.pad(
      y,
      [
        [0, 0],
        [pt, pb],
        [pl, pr],
        [0, 0],
      ],
      value,
    );
  }
  return y;
}

/** Crops the negative amounts of a pad spec off the spatial axes; returns the positive rest. */
function cropNegative(x: tf.Tensor4D, pads: Pads): [tf.Tensor4D, Pads] {
  const [t, b, l, r] = pads;
  if (t >= 0 && b >= 0 && l >= 0 && r >= 0) return [x, pads];
  return [padOrCrop(x, Math.min(0, t), Math.min(0, b), Math.min(0, l), Math.min(0, r)), [Math.max(0, t), Math.max(0, b), Math.max(0, l), Math.max(0, r)]];
}

/** [top, bottom, left, right]: pad (+) or crop (-) amounts on the spatial axes */
export type Pads = [number, number, number, number];

function runConvKernel(kernel: string, x: tf.Tensor4D, filter: tf.Tensor4D, strides: Pair, dilations: Pair, pads: Pads): tf.Tensor4D {
  const [xc, [t, b, l, r]] = cropNegative(x, pads);
  const pad = t + b + l + r === 0 ? 'valid' : [[0, 0], [t, b], [l, r], [0, 0]];
  return tf.engine().runKernel(
    kernel,
    { x: xc, filter },
    { strides, pad, dataFormat: 'NHWC', dilations, dimRoundingMode: undefined } as unknown as NamedAttrMap,
  ) as tf.Tensor4D;
}

/**
 * An NHWC convolution through the registered Conv2D kernel (XNNPACK on wasm) with explicit
 * padding, so that no padded copy of x is made; negative amounts crop x first. Calling the
 * kernel directly skips the op-level check that forbids strides and dilations both above one,
 * which XNNPACK handles.
 */
export function conv2dPadded(x: tf.Tensor4D, filter: tf.Tensor4D, strides: Pair, dilations: Pair, pads: Pads): tf.Tensor4D {
  return runConvKernel('Conv2D', x, filter, strides, dilations, pads);
}

/** The same for the registered DepthwiseConv2dNative kernel. */
export function depthwiseConv2dPadded(x: tf.Tensor4D, filter: tf.Tensor4D, strides: Pair, dilations: Pair, pads: Pads): tf.Tensor4D {
  return runConvKernel('DepthwiseConv2dNative', x, filter, strides, dilations, pads);
}

export function toNHWC<T extends tf.Tensor>(x: T, channelsFirst: boolean): T {
  return channelsFirst ? tf.transpose(x, [0, 2, 3, 1]) : x;
}

export function fromNHWC<T extends tf.Tensor>(x: T, channelsFirst: boolean): T {
  return channelsFirst ? tf.transpose(x, [0, 3, 1, 2]) : x;
}

/** An NCHW shape as NHWC (or the shape itself). */
export function shapeToNHWC(shape: readonly number[], channelsFirst: boolean): [number, number, number, number] {
  const [a = 1, b = 1, c = 1, d = 1] = shape;
  return channelsFirst ? [a, c, d, b] : [a, b, c, d];
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * One output phase along one spatial axis of a transposed convolution (the input gradient of
 * a strided convolution). Output positions h = r + s*u take contributions only from the filter
 * taps a with (r + padBefore - a*d) divisible by s; those taps form a stride-g subsequence and
 * the phase is a plain stride-1 correlation of dy with them, flipped, at dilation e.
 */
export interface AxisPhase {
  /** output offset r in [0, s) */
  r: number;
  /** number of output positions of this phase */
  outLen: number;
  /** number of filter taps contributing; 0 means the phase is all zeros */
  taps: number;
  /** first tap in the *reversed* filter, step between taps */
  firstReversedTap: number;
  tapStep: number;
  /** dilation of the phase's correlation */
  dilation: number;
  /** pad (+) or crop (-) of dy before / after */
  padBefore: number;
  padAfter: number;
}

/**
 * Splits one spatial axis of a transposed convolution into its stride phases.
 * @param inLen the forward input's length (the gradient's length)
 * @param outLen the forward output's length (dy's length)
 */
export function axisPhases(inLen: number, outLen: number, k: number, s: number, d: number, padBefore: number): AxisPhase[] {
  const g0 = gcd(d, s);
  const g = s / g0;
  const e = d / g0;
  const phases: AxisPhase[] = [];
  for (let r = 0; r < s; r++) {
    const u = Math.max(0, Math.ceil((inLen - r) / s));
    let a0 = -1;
    for (let a = 0; a < g && a < k; a++) {
      if ((((r + padBefore - a * d) % s) + s) % s === 0) {
        a0 = a;
        break;
      }
    }
    const taps = a0 < 0 || u === 0 ? 0 : Math.floor((k - 1 - a0) / g) + 1;
    if (taps === 0) {
      phases.push({ r, outLen: u, taps: 0, firstReversedTap: 0, tapStep: g, dilation: e, padBefore: 0, padAfter: 0 });
      continue;
    }
    const c0 = (r + padBefore - a0 * d) / s;
    const before = (taps - 1) * e - c0;
    const after = u + (taps - 1) * e - before - outLen;
    phases.push({
      r,
      outLen: u,
      taps,
      firstReversedTap: k - 1 - a0 - (taps - 1) * g,
      tapStep: g,
      dilation: e,
      padBefore: before,
      padAfter: after,
    });
  }
  return phases;
}

/**
 * The input gradient of a (depthwise or regular) strided convolution, phase by phase.
 * `reversedFilter` is the forward filter flipped along both spatial axes and already laid out
 * for `correlate` (for a regular conv: [kh, kw, Cout, Cin]); `correlate(dy, subFilter,
 * dilations, pads)` runs the stride-1 correlation of dy padded (or cropped) by `pads`. The
 * phases are interleaved back into an [N, H, W, C] result.
 */
export function transposedConvByPhases(
  dy: tf.Tensor4D,
  reversedFilter: tf.Tensor4D,
  outShape: readonly [number, number, number, number],
  strides: Pair,
  dilations: Pair,
  padTop: number,
  padLeft: number,
  correlate: (x: tf.Tensor4D, f: tf.Tensor4D, dilations: Pair, pads: Pads) => tf.Tensor4D,
): tf.Tensor4D {
  const [n, h, w, c] = outShape;
  const [kh, kw, fIn, fOut] = reversedFilter.shape;
  const [sh, sw] = strides;
  const rows = axisPhases(h, dy.shape[1], kh, sh, dilations[0], padTop);
  const cols = axisPhases(w, dy.shape[2], kw, sw, dilations[1], padLeft);
  const phase = (ph: AxisPhase, pw: AxisPhase): tf.Tensor4D => {
    if (ph.taps === 0 || pw.taps === 0 || ph.outLen === 0 || pw.outLen === 0) return tf.zeros([n, ph.outLen, pw.outLen, c]);
    const full = ph.taps === kh && pw.taps === kw;
    const sub = full
      ? reversedFilter
      : tf.stridedSlice(
          reversedFilter,
          [ph.firstReversedTap, pw.firstReversedTap, 0, 0],
          [ph.firstReversedTap + (ph.taps - 1) * ph.tapStep + 1, pw.firstReversedTap + (pw.taps - 1) * pw.tapStep + 1, fIn, fOut],
          [ph.tapStep, pw.tapStep, 1, 1],
        ) as tf.Tensor4D;
    return correlate(dy, sub, [ph.dilation, pw.dilation], [ph.padBefore, ph.padAfter, pw.padBefore, pw.padAfter]);
  };
  if (sh === 1 && sw === 1) return phase(rows[0]!, cols[0]!);
  const uh = rows[0]!.outLen;
  const uw = cols[0]!.outLen;
  const rowStacks: tf.Tensor[] = [];
  for (const ph of rows) {
    const parts = cols.map((pw) => {
      const p = phase(ph, pw);
      return padOrCrop(p, 0, uh - ph.outLen, 0, uw - pw.outLen);
    });
    rowStacks.push(tf.stack(parts, 3)); // [N, uh, uw, sw, C]
  }
  const interleaved = tf.stack(rowStacks, 2).reshape([n, uh * sh, uw * sw, c]) as tf.Tensor4D;
  if (uh * sh === h && uw * sw === w) return interleaved;
  return tf.slice(interleaved, [0, 0, 0, 0], [n, h, w, c]);
}
