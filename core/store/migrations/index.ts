// Numbered migrations, applied in order at open; PRAGMA user_version records the last one.
// (`?raw` imports are inlined as text by vite/vitest and by the esbuild host bundle.)
import m0001 from './0001-init.sql?raw';
import m0002 from './0002-prediction-outcome.sql?raw';
import m0003 from './0003-model-kind.sql?raw';
import m0004 from './0004-run-owner.sql?raw';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: '0001-init', sql: m0001 },
  { version: 2, name: '0002-prediction-outcome', sql: m0002 },
  { version: 3, name: '0003-model-kind', sql: m0003 },
  { version: 4, name: '0004-run-owner', sql: m0004 },
];
