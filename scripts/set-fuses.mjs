// Packaging step: flips the Electron fuses of a packaged app binary (issue 13 point 8).
//   node scripts/set-fuses.mjs <path to the packaged Electron executable>
// RunAsNode, NODE_OPTIONS and --inspect arguments off (the binary cannot be used as a plain Node),
// cookies encrypted, app code only from the ASAR where the packager makes one.
// Uses the dev dependency @electron/fuses; test/unit/electron/set-fuses.test.ts runs it on a stand-in binary.
import fs from 'node:fs';

const exe = process.argv[2];
if (!exe || !fs.existsSync(exe)) {
  console.error('usage: node scripts/set-fuses.mjs <packaged Electron executable>');
  process.exit(2);
}
let fuses;
try {
  fuses = await import('@electron/fuses');
} catch {
  console.error('set-fuses: @electron/fuses is not installed; run: npm install -D @electron/fuses@2.1.3');
  process.exit(1);
}
const { flipFuses, FuseVersion, FuseV1Options } = fuses;
try {
  await flipFuses(exe, {
    version: FuseVersion.V1,
    resetAdHocDarwinSignature: process.platform === 'darwin',
    [FuseV1Options.RunAsNode]: false,
    [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
    [FuseV1Options.EnableNodeCliInspectArguments]: false,
    [FuseV1Options.EnableCookieEncryption]: true,
    [FuseV1Options.OnlyLoadAppFromAsar]: process.env.MASKWRIGHT_ASAR === '1',
    [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: process.env.MASKWRIGHT_ASAR === '1',
  });
} catch (e) {
  console.error(`set-fuses: ${exe}: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
console.log(`set-fuses: ${exe}: RunAsNode, NODE_OPTIONS, inspect arguments off; cookie encryption on`);
