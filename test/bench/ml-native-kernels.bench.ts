/**
 * Maskwright's own SIMD wasm kernels (core/ml/wasm-kernels/c) on one thread:
 *   1. per conv layer of the reference architecture (base 16, batch 4 @ 256x256) and of the
 *      default base-8 model (batch 4 @ 128x128, the training crop): our weight gradient and
 *      input gradient against XNNPACK's forward conv of the same layer, the previous
 *      XNNPACK-composite weight gradient, and PyTorch's conv forward / backward (aten
 *      convolution_backward, 1 thread) where Debian's python3-torch is installed;
 *   2. the whole train step of the reference architecture (same protocol as ml-model: Adam,
 *      2 warm-up steps, median of 5) with our kernels, with them turned off (the previous
 *      kernels), and PyTorch's (../shared/peers/attn_unet_torch.py timing --threads 1).
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../core/ml/backend';
import { buildAttentionUNet } from '../../core/ml/models/attention-unet';
import { defaultModelConfig, REFERENCE_UNET } from '../../core/ml/models/model-config';
import { conv2dFilterGrad } from '../../core/ml/wasm-kernels/conv2d-backprop-filter';
import { nativeKernelStatus, setNativeKernelsEnabled } from '../../core/ml/wasm-kernels/native-kernels';
import { stockKernel } from '../../core/ml/wasm-kernels/stock-kernels';
import { median, type BenchContext, type BenchResult, type BenchRow, type BenchSuite } from './bench-types';
import { timeTrainSteps } from './ml-model.bench';

const PY = '/usr/bin/python3';
const HERE = path.dirname(new URL(import.meta.url).pathname);
const PEER = path.resolve(HERE, '../../../shared/peers/attn_unet_torch.py');

interface Layer {
  model: string;
  name: string;
  n: number;
  hw: number;
  k: number;
  cin: number;
  cout: number;
}

/** The conv layers of an attention U-Net (4 levels, stride-1 'same' convs; see attention-unet.ts). */
function unetLayers(model: string, base: number, size: number, n: number): Layer[] {
  const w = (l: number) => base * 2 ** l;
  const out: Layer[] = [];
  const add = (name: string, level: number, k: number, cin: number, cout: number) => out.push({ model, name, n, hw: size >> level, k, cin, cout });
  for (let l = 0; l < 4; l++) {
    add(`enc${l + 1}_conv1`, l, 3, l === 0 ? 3 : w(l - 1), w(l));
    add(`enc${l + 1}_conv2`, l, 3, w(l), w(l));
  }
  add('bottleneck_conv1', 4, 3, w(3), w(4));
  add('bottleneck_conv2', 4, 3, w(4), w(4));
  for (let l = 3; l >= 0; l--) {
    add(`up${l + 1}_reduce`, l + 1, 1, w(l + 1), w(l));
    add(`up${l + 1}_gate`, l, 1, w(l), w(l) / 2);
    add(`up${l + 1}_conv1`, l, 3, 2 * w(l), w(l));
    add(`up${l + 1}_conv2`, l, 3, w(l), w(l));
  }
  add('head', 0, 1, w(0), 1);
  return out;
}

interface KernelTimes {
  /** XNNPACK (the stock Conv2D kernel) */
  fwd: number;
  /** the registered Conv2D: ours where it covers the layer */
  fwdOurs: number;
  dwOurs: number;
  dwOld: number;
  dxOurs: number;
}

function timeIt(fn: () => tf.Tensor, reps: number): number {
  const ts: number[] = [];
  for (let i = 0; i < reps + 1; i++) {
    const t0 = performance.now();
    const r = fn();
    r.dataSync();
    r.dispose();
    if (i > 0) ts.push(performance.now() - t0);
  }
  return median(ts);
}

function timeLayer(L: Layer, reps: number): KernelTimes {
  const x = tf.randomNormal([L.n, L.hw, L.hw, L.cin], 0, 1, 'float32', 1) as tf.Tensor4D;
  const f = tf.randomNormal([L.k, L.k, L.cin, L.cout], 0, 1, 'float32', 2) as tf.Tensor4D;
  const dy = tf.randomNormal([L.n, L.hw, L.hw, L.cout], 0, 1, 'float32', 3) as tf.Tensor4D;
  const attrs = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC' } as const;
  const pad = Math.floor((L.k - 1) / 2);
  const xnnpack = stockKernel('Conv2D')!.kernelFunc;
  const t: KernelTimes = {
    fwd: timeIt(() => tf.engine().makeTensorFromTensorInfo(xnnpack({ inputs: { x, filter: f }, backend: tf.backend(), attrs: { ...attrs, dilations: [1, 1] } as unknown as tf.NamedAttrMap }) as tf.TensorInfo), reps),
    fwdOurs: timeIt(() => tf.conv2d(x, f, 1, 'same'), reps),
    dwOurs: timeIt(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: f.shape } as unknown as tf.NamedAttrMap) as tf.Tensor, reps),
    dwOld: timeIt(() => tf.tidy(() => conv2dFilterGrad(x, dy, f.shape, [1, 1], [1, 1], pad, pad)), reps),
    // the input layer's dx is never computed in training (x needs no gradient)
    dxOurs: L.cin === 3 ? NaN : timeIt(() => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: f }, { ...attrs, inputShape: x.shape } as unknown as tf.NamedAttrMap) as tf.Tensor, reps),
  };
  tf.dispose([x, f, dy]);
  return t;
}

const TORCH_LAYERS = `
import json, sys, time, torch
torch.set_num_threads(1)
layers = json.loads(sys.argv[1]); reps = int(sys.argv[2])
def med(f):
    ts = []
    for i in range(reps + 1):
        t0 = time.perf_counter(); f(); ts.append(time.perf_counter() - t0)
    ts = sorted(ts[1:]); return ts[len(ts) // 2] * 1000
out = []
with torch.no_grad():
    for L in layers:
        n, hw, k, cin, cout = L['n'], L['hw'], L['k'], L['cin'], L['cout']
        x = torch.randn(n, cin, hw, hw); w = torch.randn(cout, cin, k, k); dy = torch.randn(n, cout, hw, hw)
        p = (k - 1) // 2
        bw = lambda m: torch.ops.aten.convolution_backward(dy, x, w, None, [1, 1], [p, p], [1, 1], False, [0, 0], 1, m)
        out.append({'fwd': med(lambda: torch.nn.functional.conv2d(x, w, None, 1, p)),
                    'dw': med(lambda: bw([False, True, False])), 'dx': med(lambda: bw([True, False, False]))})
print(json.dumps({'torch': torch.__version__, 'layers': out}))
`;

function torchVersion(): string | null {
  try {
    return execFileSync(PY, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function runPy(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(PY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`python exited with ${code}: ${err.slice(-1000)}`))));
  });
}
const lastJson = (s: string) => JSON.parse(s.trim().split('\n').filter((l) => l.startsWith('{')).at(-1)!) as Record<string, unknown>;

/** The ml-model protocol: reference arch, batch 4 @ 256, Adam, warm-up then median. */
function timeStep(warm: number, reps: number): number[] {
  const m = buildAttentionUNet(defaultModelConfig({ unet: REFERENCE_UNET, inputNorm: 'unit' }));
  const x = tf.randomUniform([4, 256, 256, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const y = tf.cast(tf.greater(tf.randomUniform([4, 256, 256, 1], 0, 1, 'float32', 2), 0.85), 'float32') as tf.Tensor4D;
  const steps = timeTrainSteps(m, x, y, warm, reps);
  tf.dispose([x, y]);
  m.dispose();
  return steps;
}

const f1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '-');
const f2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '-');

const suite: BenchSuite = {
  name: 'ml-native-kernels',
  async run(ctx: BenchContext): Promise<BenchResult> {
    const report = await selectBackend({ force: 'wasm', env: {} });
    const status = nativeKernelStatus(tf.backend());
    ctx.log(`wasm ${report.threads ?? 1} thread(s); native kernels: ${status.reason}`);
    if (!status.active) throw new Error(`our kernels are not active: ${status.reason}`);
    const reps = ctx.quick ? 1 : 3;
    const layers = [...unetLayers('ref', 16, ctx.quick ? 64 : 256, 4), ...unetLayers('base8', 8, ctx.quick ? 32 : 128, 4)];
    const ours = layers.map((L) => timeLayer(L, reps));
    const torchV = torchVersion() && fs.existsSync(PEER) ? torchVersion() : null;
    ctx.log(torchV ? `PyTorch ${torchV}: timing the same layers and the peer's step on 1 thread` : 'PyTorch not installed: peer numbers from ../shared/peers only');
    let torchLayers: { fwd: number; dw: number; dx: number }[] | null = null;
    if (torchV) {
      const r = lastJson(await runPy(['-c', TORCH_LAYERS, JSON.stringify(layers), String(reps)])) as { layers: { fwd: number; dw: number; dx: number }[] };
      torchLayers = r.layers;
    }

    const table = ['| model | layer | N x H x W | k | Cin -> Cout | XNNPACK fwd ms | registered fwd ms | ours dW ms | old dW ms | ours dX ms | ours dW / fwd | ours dX / fwd | torch fwd ms | torch dW ms | torch dX ms | ours dW / torch dW | ours dX / torch dX |', '|---|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|'];
    const tot = { ref: { fwd: 0, fwdOurs: 0, dw: 0, old: 0, dx: 0, tfwd: 0, tdw: 0, tdx: 0 }, base8: { fwd: 0, fwdOurs: 0, dw: 0, old: 0, dx: 0, tfwd: 0, tdw: 0, tdx: 0 } };
    layers.forEach((L, i) => {
      const o = ours[i]!;
      const t = torchLayers?.[i];
      const s = tot[L.model as 'ref' | 'base8'];
      s.fwd += o.fwd;
      s.fwdOurs += o.fwdOurs;
      s.dw += o.dwOurs;
      s.old += o.dwOld;
      if (Number.isFinite(o.dxOurs)) s.dx += o.dxOurs;
      if (t) {
        s.tfwd += t.fwd;
        s.tdw += t.dw;
        if (Number.isFinite(o.dxOurs)) s.tdx += t.dx;
      }
      table.push(
        `| ${L.model} | ${L.name} | ${L.n}x${L.hw}x${L.hw} | ${L.k} | ${L.cin} -> ${L.cout} | ${f1(o.fwd)} | ${f1(o.fwdOurs)} | ${f1(o.dwOurs)} | ${f1(o.dwOld)} | ${f1(o.dxOurs)} | ${f2(o.dwOurs / o.fwd)} | ${f2(o.dxOurs / o.fwd)} | ${t ? f1(t.fwd) : '-'} | ${t ? f1(t.dw) : '-'} | ${t && Number.isFinite(o.dxOurs) ? f1(t.dx) : '-'} | ${t ? f2(o.dwOurs / t.dw) : '-'} | ${t ? f2(o.dxOurs / t.dx) : '-'} |`,
      );
    });

    const rows: BenchRow[] = [];
    for (const [key, label] of [
      ['ref', 'reference arch, batch 4 @ 256'],
      ['base8', 'base-8 model, batch 4 @ 128'],
    ] as const) {
      const s = tot[key];
      rows.push(
        { metric: `conv layers, ${label}: XNNPACK forward, sum`, value: s.fwd, unit: 'ms' },
        { metric: `conv layers, ${label}: registered forward (ours where covered), sum`, value: s.fwdOurs, unit: 'ms', note: `${f2(s.fwdOurs / s.fwd)} x XNNPACK` },
        { metric: `conv layers, ${label}: our weight gradient, sum`, value: s.dw, unit: 'ms', note: `${f2(s.dw / s.fwd)} x forward; previous composite ${f1(s.old)} ms (${f2(s.old / s.fwd)} x)` },
        { metric: `conv layers, ${label}: our input gradient, sum`, value: s.dx, unit: 'ms', note: 'input layer excluded (never computed)' },
      );
      if (torchLayers) {
        rows.push(
          { metric: `conv layers, ${label}: PyTorch forward / weight grad / input grad, sums`, value: s.tfwd, unit: 'ms', note: `dW ${f1(s.tdw)} ms, dX ${f1(s.tdx)} ms` },
          { metric: `conv layers, ${label}: ratio ours / PyTorch, forward`, value: s.fwdOurs / s.tfwd, unit: 'x' },
          { metric: `conv layers, ${label}: ratio ours / PyTorch, weight grad`, value: s.dw / s.tdw, unit: 'x' },
          { metric: `conv layers, ${label}: ratio ours / PyTorch, input grad`, value: s.dx / s.tdx, unit: 'x' },
          {
            metric: `conv layers, ${label}: ours minus PyTorch, forward + weight grad + input grad`,
            value: s.fwdOurs + s.dw + s.dx - (s.tfwd + s.tdw + s.tdx),
            unit: 'ms',
            note: 'what the convolutions alone add to a step over PyTorch',
          },
        );
      }
    }

    const warm = ctx.quick ? 1 : 2;
    const stepOn = timeStep(warm, ctx.quick ? 1 : 5);
    ctx.log(`step, our kernels: ${stepOn.map((v) => v.toFixed(2)).join(' ')} s`);
    setNativeKernelsEnabled(false);
    let stepOff: number[];
    try {
      stepOff = timeStep(1, ctx.quick ? 1 : 3);
    } finally {
      setNativeKernelsEnabled(true);
    }
    ctx.log(`step, previous kernels: ${stepOff.map((v) => v.toFixed(2)).join(' ')} s`);
    const on = median(stepOn);
    const off = median(stepOff);
    rows.push(
      { metric: 'train step, reference arch, batch 4 @ 256x256, wasm 1 thread, our SIMD kernels', value: on, unit: 's', note: `median of ${stepOn.length}; Adam (ml-model protocol)` },
      { metric: 'train step, same, previous kernels (MASKWRIGHT_NATIVE_KERNELS=0)', value: off, unit: 's', note: `median of ${stepOff.length}` },
      { metric: 'speed-up of the step from our kernels', value: off / on, unit: 'x' },
    );
    if (torchV) {
      const t = lastJson(await runPy([PEER, 'timing', '--threads', '1', ...(ctx.quick ? ['--reps', '2', '--warmup', '1'] : ['--reps', '5'])])) as { step_median_s: number };
      ctx.log(`torch 1 thread: step ${t.step_median_s.toFixed(2)} s`);
      rows.push(
        { metric: 'train step, same arch/input, PyTorch 1 thread (this run)', value: t.step_median_s, unit: 's' },
        { metric: 'train step ratio wasm / PyTorch (1 thread each)', value: on / t.step_median_s, unit: 'x', target: '<= 1.2', met: on / t.step_median_s <= 1.2 },
      );
    }
    return {
      title: `Own SIMD wasm kernels (training, wasm 1 thread; PyTorch ${torchV ?? 'not installed'}) — loaded 2-core machine shared with other helpers' jobs, one run`,
      rows,
      summary: [
        'Our kernels: weight gradient (`conv2d_filter_grad`), input gradient (`conv2d_input_grad`), forward conv where the filter fits in cache (`conv2d_nhwc`), Sum, and broadcasting Add/Sub/Multiply (core/ml/wasm-kernels/c). The "previous kernels" row turns them all off (XNNPACK composites and stock kernels). wasm SIMD is 4 lanes without FMA; PyTorch convolves with oneDNN on this CPU (AVX2/AVX-512 with FMA), so per conv layer it stays ~2x ahead, and the convolutions are what holds the step back.',
        '',
        'Per conv layer (medians of ' + reps + ' after one warm-up; ms):',
        '',
        ...table,
      ].join('\n'),
      details: { layers, ours, torchLayers, stepOn, stepOff },
    };
  },
};

export default suite;
