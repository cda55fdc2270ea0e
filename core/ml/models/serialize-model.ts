/**
 * A layers model as one self-contained byte string (for model_version.weights in SQLite), and
 * back, through in-memory IOHandlers (no file system, no network).
 *
 * Layout (little-endian): "MWTF" | u16 version (1) | u16 reserved | u32 J | J bytes of JSON
 * {modelTopology, weightSpecs, format, generatedBy, convertedBy} | the weight data.
 */
import * as tf from '@tensorflow/tfjs';
import { registerCustomLayers } from './custom-layers';

const MAGIC = 'MWTF';
const VERSION = 1;
const HEADER = 12;

export class ModelFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelFormatError';
  }
}

function concatWeightData(data: tf.io.WeightData | undefined): Uint8Array {
  if (data == null) return new Uint8Array(0);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  const parts = data.map((b) => new Uint8Array(b));
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Saves the model's topology and weights into bytes. */
export async function serializeModel(model: tf.LayersModel): Promise<Uint8Array> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!artifacts) throw new ModelFormatError('the model produced no artifacts');
  const weights = concatWeightData(artifacts.weightData);
  const json = new TextEncoder().encode(
    JSON.stringify({
      modelTopology: artifacts.modelTopology,
      weightSpecs: artifacts.weightSpecs,
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy,
    }),
  );
  const out = new Uint8Array(HEADER + json.length + weights.length);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = MAGIC.charCodeAt(i);
  dv.setUint16(4, VERSION, true);
  dv.setUint16(6, 0, true);
  dv.setUint32(8, json.length, true);
  out.set(json, HEADER);
  out.set(weights, HEADER + json.length);
  return out;
}

/** Reads the artifacts back out of bytes made by serializeModel. */
export function readModelArtifacts(bytes: Uint8Array): tf.io.ModelArtifacts {
  if (bytes.length < HEADER || String.fromCharCode(...bytes.subarray(0, 4)) !== MAGIC) {
    throw new ModelFormatError('not a Maskwright model (bad magic); the stored weights may be damaged');
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint16(4, true);
  if (version !== VERSION) throw new ModelFormatError(`model format version ${version} is not supported (expected ${VERSION})`);
  const j = dv.getUint32(8, true);
  if (HEADER + j > bytes.length) throw new ModelFormatError('model bytes are truncated');
  let meta: Omit<tf.io.ModelArtifacts, 'weightData'> & { weightSpecs?: tf.io.WeightsManifestEntry[] };
  try {
    meta = JSON.parse(new TextDecoder().decode(bytes.subarray(HEADER, HEADER + j)));
  } catch (e) {
    throw new ModelFormatError(`model topology is not valid JSON: ${(e as Error).message}`);
  }
  const weights = bytes.slice(HEADER + j);
  const expected = (meta.weightSpecs ?? []).reduce((a, s) => a + s.shape.reduce((p, d) => p * d, 1) * 4, 0);
  if (expected !== weights.length) throw new ModelFormatError(`model weights are ${weights.length} bytes, the manifest needs ${expected}`);
  return { ...meta, weightData: weights.buffer };
}

/** Loads a model saved with serializeModel (custom layers are registered first). */
export async function deserializeModel(bytes: Uint8Array): Promise<tf.LayersModel> {
  registerCustomLayers();
  return tf.loadLayersModel(tf.io.fromMemory(readModelArtifacts(bytes)));
}
