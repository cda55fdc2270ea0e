#!/usr/bin/env node
/**
 * Builds Maskwright's own wasm kernels (core/ml/wasm-kernels/c/*.c) with Debian's clang + lld
 * into one module, and writes
 *   core/ml/wasm-kernels/c/maskwright-kernels.wasm   the binary (committed)
 *   core/ml/wasm-kernels/native-wasm-bytes.ts        the same bytes as base64, so that bundles
 *                                                    and workers need no file path (committed)
 *
 * The build is deterministic: fixed flags, sources in sorted order given by relative path from
 * the source folder, no debug info, and every custom section (names, producers with the
 * compiler's version string) dropped. test/unit/ml/native-kernels.test.ts rebuilds where clang
 * is present and checks that the committed files match.
 *
 * The module imports the tfjs wasm backend's memory and so must own none of it: the build
 * fails if it has a data section, or if the code uses the shadow stack (checked with a second,
 * position-independent link, in which a stack user imports env.__stack_pointer).
 *
 *   node scripts/build-wasm-kernels.mjs           build and write
 *   node scripts/build-wasm-kernels.mjs --check   build to memory; exit 1 if the committed files differ
 *   node scripts/build-wasm-kernels.mjs --json    print {clang, sha256, bytes, sources} (for the test)
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SRC_DIR = path.join(ROOT, 'core/ml/wasm-kernels/c');
const WASM_OUT = path.join(SRC_DIR, 'maskwright-kernels.wasm');
const TS_OUT = path.join(ROOT, 'core/ml/wasm-kernels/native-wasm-bytes.ts');
const CLANG = process.env.CLANG ?? 'clang';

export const CFLAGS = [
  '--target=wasm32',
  '-O3',
  '-msimd128',
  '-mbulk-memory',
  '-nostdlib',
  '-ffreestanding',
  '-fno-ident',
  '-Wall',
  '-Werror',
];
const LDFLAGS = ['-Wl,--no-entry', '-Wl,--import-memory', '-Wl,--strip-all'];

export function clangVersion() {
  try {
    return execFileSync(CLANG, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0].trim();
  } catch {
    return null;
  }
}

function sources() {
  return fs
    .readdirSync(SRC_DIR)
    .filter((f) => f.endsWith('.c'))
    .sort();
}

function link(out, extra) {
  execFileSync(CLANG, [...CFLAGS, ...LDFLAGS, ...extra, '-o', out, ...sources()], { cwd: SRC_DIR, stdio: ['ignore', 'inherit', 'inherit'] });
  return fs.readFileSync(out);
}

function readLeb(buf, pos) {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = buf[pos++];
    result |= (b & 0x7f) << shift;
    shift += 7;
    if ((b & 0x80) === 0) return [result >>> 0, pos];
  }
}

/** The module's top-level sections, in order: { id, start, end } (start/end include the header). */
function sectionsOf(buf) {
  if (buf.readUInt32LE(0) !== 0x6d736100) throw new Error('not a wasm module');
  const out = [];
  let pos = 8;
  while (pos < buf.length) {
    const start = pos;
    const id = buf[pos++];
    const [size, body] = readLeb(buf, pos);
    out.push({ id, start, end: body + size });
    pos = body + size;
  }
  return out;
}

/** Drops every custom section (id 0): names, producers, target features. */
function stripCustom(buf) {
  const keep = [buf.subarray(0, 8)];
  for (const s of sectionsOf(buf)) if (s.id !== 0) keep.push(buf.subarray(s.start, s.end));
  return Buffer.concat(keep);
}

export function build() {
  const clang = clangVersion();
  if (!clang) throw new Error(`${CLANG} not found (apt-get install clang lld)`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-wasm-'));
  try {
    const wasm = stripCustom(link(path.join(tmp, 'k.wasm'), []));
    const data = sectionsOf(wasm).filter((s) => s.id === 11 || s.id === 12);
    if (data.length) throw new Error('the kernels must not have static data (they share the tfjs backend memory)');
    const pic = new WebAssembly.Module(link(path.join(tmp, 'pic.wasm'), ['-fPIC', '-Wl,--experimental-pic', '-Wl,-shared']));
    const bad = WebAssembly.Module.imports(pic).filter((i) => !['memory', '__indirect_function_table', '__memory_base', '__table_base'].includes(i.name));
    if (bad.length) throw new Error(`the kernels must not use the shadow stack or call out (they would import ${bad.map((i) => i.name).join(', ')})`);
    const mod = new WebAssembly.Module(wasm);
    const imports = WebAssembly.Module.imports(mod);
    if (imports.length !== 1 || imports[0].name !== 'memory') throw new Error(`unexpected imports: ${JSON.stringify(imports)}`);
    return { clang, wasm, sha256: crypto.createHash('sha256').update(wasm).digest('hex'), sources: sources(), exports: WebAssembly.Module.exports(mod).map((e) => e.name) };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

export function tsModule(b) {
  const b64 = b.wasm.toString('base64');
  const lines = b64.match(/.{1,120}/g) ?? [];
  return `// Generated by scripts/build-wasm-kernels.mjs from core/ml/wasm-kernels/c/ (${b.sources.join(', ')}); do not edit.
// ${b.clang}; flags ${CFLAGS.join(' ')}
/** core/ml/wasm-kernels/c/maskwright-kernels.wasm, base64 */
export const NATIVE_WASM_BASE64 =
${lines.map((l) => `  '${l}'`).join(' +\n')};
export const NATIVE_WASM_SHA256 = '${b.sha256}';
export const NATIVE_WASM_EXPORTS: readonly string[] = [${b.exports.map((e) => `'${e}'`).join(', ')}];
`;
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const args = process.argv.slice(2);
  try {
    const b = build();
    const ts = tsModule(b);
    if (args.includes('--json')) {
      process.stdout.write(JSON.stringify({ clang: b.clang, sha256: b.sha256, bytes: b.wasm.length, sources: b.sources, exports: b.exports, ts }) + '\n');
    } else if (args.includes('--check')) {
      const sameWasm = fs.existsSync(WASM_OUT) && fs.readFileSync(WASM_OUT).equals(b.wasm);
      const sameTs = fs.existsSync(TS_OUT) && fs.readFileSync(TS_OUT, 'utf8') === ts;
      console.log(`${b.clang}: ${b.wasm.length} bytes, sha256 ${b.sha256}; committed .wasm ${sameWasm ? 'matches' : 'DIFFERS'}, .ts ${sameTs ? 'matches' : 'DIFFERS'}`);
      process.exit(sameWasm && sameTs ? 0 : 1);
    } else {
      fs.writeFileSync(WASM_OUT, b.wasm);
      fs.writeFileSync(TS_OUT, ts);
      console.log(`wrote ${path.relative(ROOT, WASM_OUT)} (${b.wasm.length} bytes, sha256 ${b.sha256}) and ${path.relative(ROOT, TS_OUT)}; exports ${b.exports.join(', ')}`);
    }
  } catch (e) {
    console.error(`build-wasm-kernels: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}
