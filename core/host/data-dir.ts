import os from 'node:os';
import path from 'node:path';

/** The app-level data folder for the CLI and browser mode (MASKWRIGHT_HOME overrides). */
export function defaultDataDir(): string {
  if (process.env.MASKWRIGHT_HOME) return path.resolve(process.env.MASKWRIGHT_HOME);
  if (process.platform === 'win32') return path.join(process.env.APPDATA ?? os.homedir(), 'Maskwright');
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Application Support', 'Maskwright');
  return path.join(process.env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config'), 'maskwright');
}

declare const __MASKWRIGHT_VERSION__: string | undefined;
export const APP_VERSION: string = typeof __MASKWRIGHT_VERSION__ === 'string' ? __MASKWRIGHT_VERSION__ : '0.0.0-dev';
