/**
 * Child process of the live bench: the peak memory of predicting a large image band by band,
 * measured in a fresh process so that nothing earlier in the bench (the U-Net training's peak)
 * hides it. Reads a live model file and a 1024² RGB tile (raw bytes), tiles it to n², predicts,
 * prints one JSON line: { rssBefore, maxRss, seconds, probsBytes }.
 *
 *   vite-node test/bench/live-memory-child.ts -- <model.bin> <tile.rgb> <n>
 */
import fs from 'node:fs';
import { decodeLiveModel } from '../../core/ml/live/live-model-file';
import { predictImage } from '../../core/ml/live/live-classifier';

const [modelFile, tileFile, nArg] = process.argv.slice(2).filter((a) => a !== '--');
const n = Number(nArg);
const model = decodeLiveModel(new Uint8Array(fs.readFileSync(modelFile!)));
const tile = new Uint8Array(fs.readFileSync(tileFile!));
const t = 1024;
if (tile.length !== t * t * 3 || !(n > 0)) throw new Error('usage: <model.bin> <tile.rgb (1024x1024x3)> <n>');
const d = new Uint8Array(n * n * 3);
for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) for (let c = 0; c < 3; c++) d[(y * n + x) * 3 + c] = tile[((y % t) * t + (x % t)) * 3 + c]!;
// the input image itself is not the prediction's memory
const rssBefore = process.memoryUsage().rss;
const t0 = performance.now();
const pred = predictImage(model, { data: d, width: n, height: n, channels: 3 });
const seconds = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ rssBefore, maxRss: process.resourceUsage().maxRSS * 1024, seconds, probsBytes: pred.probs.byteLength }));
