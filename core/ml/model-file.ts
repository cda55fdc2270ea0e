/**
 * A model version as one portable file (.mwmodel), so a model trained on one machine can be used
 * on another: "MWMODEL1", a u32 (LE) header length, a JSON header (name, arch, config, metrics,
 * class names, sha256 of the weights), then the serialised weights (serializeModel bytes).
 * Class ids are project-local, so the header names the classes and import maps them by name.
 */
import { createHash } from 'node:crypto';
import { AppError } from '../api/errors';
import type { ModelKind } from '../api/types';
import { modelConfigOf, modelKindOf, parseModelConfig } from './models/model-config';
import { readModelArtifacts } from './models/serialize-model';

export const MODEL_FILE_MAGIC = 'MWMODEL1';
export const MODEL_FILE_EXT = '.mwmodel';
const MAX_HEADER = 16 * 1024 * 1024;

/** What a model file is written from: a stored model version. */
export interface ModelFileSource {
  id: number;
  name: string;
  arch: string;
  config: Readonly<Record<string, unknown>>;
  metrics: Readonly<Record<string, unknown>>;
  backend: string | null;
  createdAt: string;
}

interface ModelFileHeader extends Omit<ModelFileSource, 'id'> {
  format: 'maskwright-model';
  version: 1;
  /** class name of each entry of config.classIds, in order */
  classNames: string[];
  weightsSha256: string;
  weightsBytes: number;
}

/** What a model file reads back as: a new version for this project (the store writes it). */
export interface DecodedModelFile {
  name: string;
  arch: string;
  kind: ModelKind;
  config: Record<string, unknown>;
  weights: Uint8Array;
  metrics: Record<string, unknown>;
  backend: string | null;
  parentId: null;
}

export function encodeModelFile(v: ModelFileSource, weights: Uint8Array, className: (classId: number) => string | undefined): Uint8Array {
  const cfg = modelConfigOf(v);
  const classNames = (cfg.classIds ?? []).map((id) => {
    const n = className(id);
    if (n == null) throw new AppError('conflict', `Model "${v.name}" refers to class ${id}, which no longer exists in this project.`);
    return n;
  });
  const header: ModelFileHeader = {
    format: 'maskwright-model',
    version: 1,
    name: v.name,
    arch: v.arch,
    config: v.config,
    metrics: v.metrics,
    backend: v.backend,
    createdAt: v.createdAt,
    classNames,
    weightsSha256: createHash('sha256').update(weights).digest('hex'),
    weightsBytes: weights.byteLength,
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const out = Buffer.alloc(8 + 4 + json.length + weights.byteLength);
  out.write(MODEL_FILE_MAGIC, 0, 'ascii');
  out.writeUInt32LE(json.length, 8);
  json.copy(out, 12);
  out.set(weights, 12 + json.length);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * Reads a .mwmodel file into a new version for this project (classes mapped by name).
 * Every failure is a clear corrupt-data / conflict error; nothing is written here.
 */
export function decodeModelFile(bytes: Uint8Array, classIdByName: (name: string) => number | undefined): DecodedModelFile {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (why: string) => new AppError('corrupt-data', `This is not a usable Maskwright model file: ${why}.`);
  if (buf.length < 12 || buf.toString('ascii', 0, 8) !== MODEL_FILE_MAGIC) throw bad('it does not start with the model file signature');
  const n = buf.readUInt32LE(8);
  if (n > MAX_HEADER || 12 + n > buf.length) throw bad('the header is truncated');
  let h: ModelFileHeader;
  try {
    h = JSON.parse(buf.toString('utf8', 12, 12 + n)) as ModelFileHeader;
  } catch {
    throw bad('the header is not valid JSON');
  }
  if (!h || h.format !== 'maskwright-model' || h.version !== 1) throw bad('unknown format or version');
  if (typeof h.name !== 'string' || typeof h.arch !== 'string' || !h.config || typeof h.config !== 'object' || !Array.isArray(h.classNames)) throw bad('the header lacks name, arch, config or classes');
  const weights = bytes.subarray(12 + n);
  if (weights.byteLength !== h.weightsBytes) throw bad(`the weights are ${weights.byteLength} bytes, the header says ${h.weightsBytes} (truncated?)`);
  if (createHash('sha256').update(weights).digest('hex') !== h.weightsSha256) throw bad('the weights checksum does not match (the file is damaged)');
  try {
    readModelArtifacts(weights);
  } catch (e) {
    throw bad(`the weights cannot be read (${(e as Error).message})`);
  }
  const missing = h.classNames.filter((c) => classIdByName(c) == null);
  if (missing.length) throw new AppError('conflict', `The model predicts class${missing.length > 1 ? 'es' : ''} ${missing.map((m) => `"${m}"`).join(', ')}, which this project does not have. Add ${missing.length > 1 ? 'them' : 'it'} first.`);
  const config = { ...h.config, classIds: h.classNames.map((c) => classIdByName(c)!) };
  let kind: ModelKind;
  try {
    kind = modelKindOf(parseModelConfig(config));
  } catch (e) {
    throw bad(`its config is invalid (${(e as Error).message})`);
  }
  return {
    name: h.name,
    arch: h.arch,
    kind,
    config,
    weights: new Uint8Array(weights),
    metrics: { ...(h.metrics ?? {}), importedAt: new Date().toISOString(), trainedAt: h.createdAt },
    backend: h.backend ?? null,
    parentId: null,
  };
}
