/**
 * The Attention U-Net decoder on a pretrained MobileNetV2 encoder (Keras MobileNetV2, alpha 1.0,
 * as a tfjs layers model; the `nsfwjs` npm package ships one, loaded offline from its files).
 *
 * Encoder taps (Keras layer names; strides relative to the input):
 *   block_1_expand_relu (2), block_3_expand_relu (4), block_6_expand_relu (8),
 *   block_13_expand_relu (16), block_16_project (32)
 * plus a light full-resolution stem (ConvBlock on the image) as the stride-1 skip, so small
 * objects keep sharp borders. Bottleneck self-attention runs on the stride-32 features. The
 * encoder is frozen (CPU) or has its last `trainableBlocks` inverted-residual blocks trainable
 * (GPU). BatchNorm layers of the encoder always use their moving statistics (the training loop
 * calls the model in inference mode; our own layers have no train/test difference).
 *
 * Accepted encoder files:
 *   - a tfjs `model.json` with its binary weight shards beside it (weightsManifest paths), or
 *   - nsfwjs 4's bundles: `model.min.js` (default export: the model JSON) with
 *     `group1-shardKofN.min.js` beside it (default export: base64 weights).
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { bottleneckAttention, convBlock, LayerSeeds, unetDecoder } from './attention-unet';
import { validateModelConfig, type SegModelConfig } from './model-config';

type SymT = tf.SymbolicTensor;

export const MOBILENET_TAPS = ['block_1_expand_relu', 'block_3_expand_relu', 'block_6_expand_relu', 'block_13_expand_relu', 'block_16_project'] as const;

export class EncoderUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EncoderUnavailableError';
  }
}

/** Where nsfwjs keeps its MobileNetV2 (alpha 1.0) bundle, if the package is installed. */
export function findNsfwjsMobileNet(resolveFrom: string = process.cwd()): string | null {
  const roots = [path.join(resolveFrom, 'node_modules', 'nsfwjs')];
  for (const root of roots) {
    for (const rel of ['dist/models/mobilenet_v2/model.min.js', 'dist/models/mobilenet_v2/model.json', 'models/mobilenet_v2/model.json', 'example/nsfw_demo/public/model/model.json']) {
      const p = path.join(root, rel);
      if (fs.existsSync(p)) return p;
    }
  }
  return null;
}

/** Makes every input layer accept any spatial size: [null, h, w, c] -> [null, null, null, c]. */
function freeInputSize(node: unknown): void {
  if (Array.isArray(node)) {
    node.forEach(freeInputSize);
    return;
  }
  if (node == null || typeof node !== 'object') return;
  const o = node as Record<string, unknown>;
  for (const key of ['batch_input_shape', 'batchInputShape', 'batch_shape']) {
    const v = o[key];
    if (Array.isArray(v) && v.length === 4) o[key] = [null, null, null, v[3]];
  }
  for (const v of Object.values(o)) freeInputSize(v);
}

async function importDefault(file: string): Promise<unknown> {
  const mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  return mod.default ?? mod;
}

interface KerasLayerJson {
  config?: { name?: string };
  name?: string;
  inbound_nodes?: unknown[];
}

/**
 * Cuts a functional (Keras "Model") topology after `keep`: only the layers it depends on stay,
 * and it becomes the output. A classifier head (Flatten + Dense, as in nsfwjs's model) needs a
 * fixed input size, which the encoder must not have. Nested or sequential topologies are left
 * as they are (findBackbone handles nested backbones).
 */
export function pruneTopology(topology: object, keep: string): void {
  const root = topology as { model_config?: { class_name?: string; config?: { layers?: KerasLayerJson[]; output_layers?: unknown[] } } };
  const mc = root.model_config ?? (topology as { class_name?: string; config?: { layers?: KerasLayerJson[]; output_layers?: unknown[] } });
  const cfg = mc.config;
  if (mc.class_name !== 'Model' && mc.class_name !== 'Functional') return;
  if (!cfg?.layers || !cfg.layers.some((l) => (l.config?.name ?? l.name) === keep)) return;
  const byName = new Map(cfg.layers.map((l) => [l.config?.name ?? l.name ?? '', l]));
  const needed = new Set<string>();
  const stack = [keep];
  while (stack.length) {
    const n = stack.pop()!;
    if (needed.has(n)) continue;
    needed.add(n);
    // inbound_nodes: [[[layerName, nodeIndex, tensorIndex, kwargs], ...], ...]
    const walk = (v: unknown) => {
      if (Array.isArray(v)) {
        if (typeof v[0] === 'string' && typeof v[1] === 'number') stack.push(v[0]);
        else for (const x of v) walk(x);
      }
    };
    walk(byName.get(n)?.inbound_nodes ?? []);
  }
  cfg.layers = cfg.layers.filter((l) => needed.has(l.config?.name ?? l.name ?? ''));
  cfg.output_layers = [[keep, 0, 0]];
}

/** Reads a layers model's artifacts from disk (model.json + shards, or nsfwjs .min.js bundles). */
export async function readEncoderArtifacts(modelPath: string): Promise<tf.io.ModelArtifacts> {
  if (!fs.existsSync(modelPath)) {
    throw new EncoderUnavailableError(`the MobileNetV2 encoder was not found at ${modelPath} (install it with \`npm install nsfwjs\`, or give the path of a MobileNetV2 model.json)`);
  }
  const dir = path.dirname(modelPath);
  const bundle = modelPath.endsWith('.js');
  const json = (bundle ? await importDefault(modelPath) : JSON.parse(fs.readFileSync(modelPath, 'utf8'))) as tf.io.ModelJSON;
  if (!json?.modelTopology) throw new EncoderUnavailableError(`${modelPath} is not a tfjs layers model (no modelTopology)`);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const chunks: Uint8Array[] = [];
  for (const group of json.weightsManifest ?? []) {
    for (const p of group.paths) {
      if (bundle) {
        const b64 = await importDefault(path.join(dir, `${p}.min.js`));
        if (typeof b64 !== 'string') throw new EncoderUnavailableError(`${p}.min.js does not export base64 weights`);
        chunks.push(new Uint8Array(Buffer.from(b64, 'base64')));
      } else {
        chunks.push(new Uint8Array(fs.readFileSync(path.join(dir, p))));
      }
    }
    specs.push(...group.weights);
  }
  const total = chunks.reduce((a, c) => a + c.length, 0);
  const data = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    data.set(c, o);
    o += c.length;
  }
  const topology = structuredClone(json.modelTopology) as object;
  freeInputSize(topology);
  pruneTopology(topology, MOBILENET_TAPS[MOBILENET_TAPS.length - 1]!);
  return { modelTopology: topology, weightSpecs: specs, weightData: data.buffer, format: json.format, generatedBy: json.generatedBy, convertedBy: json.convertedBy };
}

/** The layers model that holds the MobileNetV2 taps (the model itself, or a nested one). */
function findBackbone(model: tf.LayersModel): tf.LayersModel {
  const has = (m: tf.LayersModel) => m.layers.some((l) => l.name === MOBILENET_TAPS[0]);
  if (has(model)) return model;
  for (const l of model.layers) {
    if (l instanceof tf.LayersModel && has(l)) return l;
  }
  throw new EncoderUnavailableError(`the encoder model has no layer '${MOBILENET_TAPS[0]}': not a Keras MobileNetV2`);
}

/** Inverted-residual block index of a Keras MobileNetV2 layer name (Conv_1 etc. count as 17). */
function blockOf(name: string): number {
  const m = /^block_(\d+)_/.exec(name);
  if (m) return Number(m[1]);
  if (/^(expanded_conv|Conv1|bn_Conv1|Conv1_relu|Conv1_pad)/.test(name)) return 0;
  return 17;
}

/** Loads the MobileNetV2 and returns a multi-output feature extractor [s2, s4, s8, s16, s32]. */
export async function loadMobileNetEncoder(modelPath: string, trainableBlocks = 0): Promise<tf.LayersModel> {
  const artifacts = await readEncoderArtifacts(modelPath);
  // strict: false — the weights of a pruned classifier head have no layer any more
  const full = await tf.loadLayersModel(tf.io.fromMemory(artifacts), { strict: false });
  const backbone = findBackbone(full);
  const outputs = MOBILENET_TAPS.map((n) => backbone.getLayer(n).output as SymT);
  const encoder = tf.model({ inputs: backbone.inputs, outputs, name: 'mobilenet_v2_encoder' });
  for (const layer of encoder.layers) layer.trainable = blockOf(layer.name) > 16 - trainableBlocks && blockOf(layer.name) <= 16;
  return encoder;
}

/**
 * Builds the MobileNetV2-encoder U-Net. Input [N,H,W,3] in [0,1] with H, W multiples of 32.
 * Its layers are the encoder's (prefixed by nothing: Keras names) plus ours.
 */
export async function buildMobileNetUNet(cfg: SegModelConfig): Promise<tf.LayersModel> {
  validateModelConfig(cfg);
  const enc = cfg.encoder!;
  const encoder = await loadMobileNetEncoder(enc.modelJsonPath, enc.trainableBlocks);
  const seeds = new LayerSeeds(cfg.seed);
  const input = tf.input({ shape: [null, null, 3], name: 'image' });
  let scaled: SymT = input;
  if (enc.inputScale !== 1 || enc.inputOffset !== 0) {
    scaled = tf.layers.rescaling({ scale: enc.inputScale, offset: enc.inputOffset, name: 'encoder_rescale' }).apply(input) as SymT;
  }
  const feats = encoder.apply(scaled) as SymT[];
  const base = cfg.unet.baseWidth;
  const stem = convBlock(input, base, cfg.unet.groups, 'stem', seeds);
  const skips = [stem, ...feats.slice(0, 4)];
  const widths = skips.map((_, l) => base * 2 ** l);
  const bottom = bottleneckAttention(feats[4]!, { ...cfg, unet: { ...cfg.unet, reduction: 1 } }, seeds);
  const logits = unetDecoder(bottom, { skips, widths }, cfg, seeds);
  return tf.model({ inputs: input, outputs: logits, name: 'mobilenet_unet' });
}
