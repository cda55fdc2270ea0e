// Issue 15: where tfjs-node / tfjs-node-gpu were skipped at install, the status bar says what they would add and how to get them.
import { describe, expect, it } from 'vitest';
import { computeHint } from '../../../renderer/src/lib/compute-hint';

const notInstalled = (name: string) => ({ name, ok: false, reason: `@tensorflow/${name === 'tensorflow' ? 'tfjs-node' : 'tfjs-node-gpu'} is not installed (an optionalDependency: its install downloads libtensorflow, which failed or was skipped)` });

describe('compute hint', () => {
  it('wasm without the native packages: says what each adds and the install command', () => {
    const h = computeHint({ kind: 'wasm-cpu', tried: [notInstalled('tensorflow-gpu'), notInstalled('tensorflow'), { name: 'wasm', ok: true, reason: 'XNNPACK' }] })!;
    expect(h.label).toBe('no native backend');
    expect(h.title).toMatch(/npm install @tensorflow\/tfjs-node@4\.22\.0/);
    expect(h.title).toMatch(/npm install @tensorflow\/tfjs-node-gpu@4\.22\.0/);
    expect(h.title).toMatch(/CUDA 11\.2 \+ cuDNN 8\.1/);
    expect(h.title).toMatch(/wasm backend/);
  });

  it('nothing to say on a native or GPU backend, or where a package is installed but failed (its reason is shown instead)', () => {
    expect(computeHint({ kind: 'native-cpu', tried: [notInstalled('tensorflow-gpu'), { name: 'tensorflow', ok: true, reason: '' }] })).toBeNull();
    expect(computeHint({ kind: 'gpu-cuda', tried: [] })).toBeNull();
    expect(computeHint(null)).toBeNull();
    const failed = [
      { name: 'tensorflow-gpu', ok: false, reason: 'sees no GPU (it needs CUDA 11.2 + cuDNN 8.1)' },
      { name: 'tensorflow', ok: false, reason: '@tensorflow/tfjs-node is installed but failed to load: bad ELF' },
    ];
    expect(computeHint({ kind: 'wasm-cpu', tried: failed })).toBeNull();
    const gpuOnly = computeHint({ kind: 'wasm-cpu', tried: [notInstalled('tensorflow-gpu'), failed[1]!] })!;
    expect(gpuOnly.label).toBe('no GPU backend');
    expect(gpuOnly.title).not.toMatch(/tfjs-node@/);
  });
});
