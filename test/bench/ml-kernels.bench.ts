/**
 * One training step (forward + backward + Adam update, via optimizer.minimize) of a small
 * U-Net-style conv net: the wasm backend with Maskwright's training kernels against the
 * pure-JS cpu backend. Stock tfjs-backend-wasm cannot run this step at all (no
 * Conv2DBackpropFilter). The cpu backend is too slow for 128x128 batch 4 on these machines, so
 * both backends are also timed at a small size and the ratio is taken there; the cpu figure at
 * full size is measured once (skipped in quick runs).
 *
 * Net: conv3x3(3->16) relu, maxPool 2, separable conv (16->32) relu, conv3x3(32->32) relu,
 * conv2dTranspose 2x2/2 (32->16), concat skip, conv3x3(32->16) relu, bilinear-resize branch,
 * conv1x1(16->1); sigmoid cross-entropy against a random mask.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../core/ml/backend';
import { median, type BenchContext, type BenchResult, type BenchRow, type BenchSuite } from './bench-types';

interface Net {
  vars: tf.Variable[];
  loss(x: tf.Tensor4D, y: tf.Tensor4D): tf.Scalar;
}

function makeNet(): Net {
  const v = (shape: number[], seed: number) => tf.variable(tf.randomNormal(shape, 0, Math.sqrt(2 / shape.slice(0, -1).reduce((a, b) => a * b, 1)), 'float32', seed));
  const w1 = v([3, 3, 3, 16], 1);
  const dw = v([3, 3, 16, 1], 2);
  const pw = v([1, 1, 16, 32], 3);
  const w2 = v([3, 3, 32, 32], 4);
  const up = v([2, 2, 16, 32], 5); // conv2dTranspose filter: [kh, kw, out, in]
  const w3 = v([3, 3, 32, 16], 6);
  const head = v([1, 1, 16, 1], 7);
  const bias = tf.variable(tf.zeros([16]));
  return {
    vars: [w1, dw, pw, w2, up, w3, head, bias],
    loss(x, y) {
      const [n, h, w] = x.shape;
      const e1 = tf.relu(tf.add(tf.conv2d(x, w1 as tf.Tensor4D, 1, 'same'), bias)) as tf.Tensor4D;
      const p = tf.maxPool(e1, 2, 2, 'same');
      const e2 = tf.relu(tf.separableConv2d(p, dw as tf.Tensor4D, pw as tf.Tensor4D, 1, 'same'));
      const b = tf.relu(tf.conv2d(e2, w2 as tf.Tensor4D, 1, 'same'));
      const u = tf.conv2dTranspose(b, up as tf.Tensor4D, [n, h, w, 16], 2, 'same');
      const d = tf.relu(tf.conv2d(tf.concat([u, e1], 3), w3 as tf.Tensor4D, 1, 'same'));
      const side = tf.image.resizeBilinear(tf.avgPool(d, 2, 2, 'same'), [h, w]);
      const logits = tf.conv2d(tf.add(d, side) as tf.Tensor4D, head as tf.Tensor4D, 1, 'same');
      return tf.losses.sigmoidCrossEntropy(y, logits) as tf.Scalar;
    },
  };
}

/** Median wall time of `reps` training steps after `warm` warm-up steps, in ms. */
async function timeSteps(backend: 'wasm' | 'cpu', size: number, batch: number, reps: number, warm: number): Promise<{ ms: number; all: number[]; loss: number }> {
  await tf.setBackend(backend);
  const net = makeNet();
  const opt = tf.train.adam(1e-3);
  const x = tf.randomUniform([batch, size, size, 3], 0, 1, 'float32', 11) as tf.Tensor4D;
  const y = tf.cast(tf.greater(tf.randomUniform([batch, size, size, 1], 0, 1, 'float32', 12), 0.7), 'float32') as tf.Tensor4D;
  const times: number[] = [];
  let loss = NaN;
  let afterFirst = 0; // the first step creates Adam's slot variables
  for (let i = 0; i < warm + reps; i++) {
    const t0 = performance.now();
    const l = opt.minimize(() => net.loss(x, y), true, net.vars);
    loss = (await l!.data())[0]!;
    l!.dispose();
    if (i >= warm) times.push(performance.now() - t0);
    if (i === 0) afterFirst = tf.memory().numTensors;
  }
  const leaked = tf.memory().numTensors - afterFirst;
  opt.dispose();
  tf.dispose([x, y, ...net.vars]);
  if (leaked > 0) throw new Error(`${backend}: ${leaked} tensors leaked over ${warm + reps - 1} steps`);
  return { ms: median(times), all: times, loss };
}

const suite: BenchSuite = {
  name: 'ml-kernels',
  async run(ctx: BenchContext): Promise<BenchResult> {
    const report = await selectBackend({ force: 'wasm', env: {} });
    ctx.log(`wasm: ${report.tried.at(-1)?.reason}`);
    const full = { size: ctx.quick ? 64 : 128, batch: 4 };
    const small = { size: 32, batch: 2 };
    const reps = ctx.quick ? 3 : 7;

    const wasmFull = await timeSteps('wasm', full.size, full.batch, reps, 2);
    ctx.log(`wasm ${full.size}x${full.size} b${full.batch}: ${wasmFull.ms.toFixed(0)} ms/step (${wasmFull.all.map((t) => t.toFixed(0)).join(', ')})`);
    const wasmSmall = await timeSteps('wasm', small.size, small.batch, reps, 2);
    const cpuSmall = await timeSteps('cpu', small.size, small.batch, ctx.quick ? 2 : 3, 1);
    ctx.log(`${small.size}x${small.size} b${small.batch}: wasm ${wasmSmall.ms.toFixed(1)} ms, cpu ${cpuSmall.ms.toFixed(0)} ms`);

    const rows: BenchRow[] = [
      { metric: `train step, wasm + our kernels, ${full.size}x${full.size} batch ${full.batch}`, value: wasmFull.ms, unit: 'ms', note: `median of ${reps}; ${report.threads ?? '?'} thread(s)` },
      { metric: `train step, wasm + our kernels, ${small.size}x${small.size} batch ${small.batch}`, value: wasmSmall.ms, unit: 'ms', note: `median of ${reps}` },
      { metric: `train step, cpu backend, ${small.size}x${small.size} batch ${small.batch}`, value: cpuSmall.ms, unit: 'ms' },
      {
        metric: `speed-up wasm vs cpu at ${small.size}x${small.size} batch ${small.batch}`,
        value: cpuSmall.ms / wasmSmall.ms,
        unit: 'x',
        target: '>= 10 x',
        met: cpuSmall.ms / wasmSmall.ms >= 10,
      },
    ];
    let cpuFullMs: number | undefined;
    if (!ctx.quick) {
      const cpuFull = await timeSteps('cpu', full.size, full.batch, 1, 0);
      cpuFullMs = cpuFull.ms;
      ctx.log(`cpu ${full.size}x${full.size} b${full.batch}: ${cpuFull.ms.toFixed(0)} ms/step`);
      rows.push(
        { metric: `train step, cpu backend, ${full.size}x${full.size} batch ${full.batch}`, value: cpuFull.ms, unit: 'ms', note: 'one step (slow)' },
        { metric: `speed-up wasm vs cpu at ${full.size}x${full.size} batch ${full.batch}`, value: cpuFull.ms / wasmFull.ms, unit: 'x' },
      );
    }
    await tf.setBackend('wasm');
    return {
      title: 'ML training kernels: one conv-net training step, wasm (+ Maskwright kernels) vs cpu',
      rows,
      details: { backend: report, wasmFullMs: wasmFull.all, wasmSmallMs: wasmSmall.all, cpuSmallMs: cpuSmall.all, cpuFullMs, losses: { wasm: wasmFull.loss, cpu: cpuSmall.loss } },
    };
  },
};

export default suite;
