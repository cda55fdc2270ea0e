import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** ../shared/datasets beside the checkout (read-only; never copied into the repo) */
export const DATASETS_DIR = path.resolve(REPO_ROOT, '../shared/datasets');
export const DSB_DIR = path.join(DATASETS_DIR, 'dsb2018-nuclei');
export const FRUITS_DIR = path.join(DATASETS_DIR, 'fruits-nuts-coco');
export const hasDsb = fs.existsSync(path.join(DSB_DIR, 'images'));
export const hasFruits = fs.existsSync(path.join(FRUITS_DIR, 'images'));
export const DATASETS_MISSING = `skipped: ${DATASETS_DIR} is not present`;
