import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/**
 * The public data sets (read-only; never copied into the repo): the folder MASKWRIGHT_DATASETS
 * names, else ../shared/datasets beside the checkout. Only the "public-datasets" group of tests
 * reads them; every other test (all UI tests among them) makes its own images.
 */
export const DATASETS_DIR = process.env.MASKWRIGHT_DATASETS ? path.resolve(process.env.MASKWRIGHT_DATASETS) : path.resolve(REPO_ROOT, '../shared/datasets');
export const DSB_DIR = path.join(DATASETS_DIR, 'dsb2018-nuclei');
export const FRUITS_DIR = path.join(DATASETS_DIR, 'fruits-nuts-coco');
export const hasDsb = fs.existsSync(path.join(DSB_DIR, 'images'));
export const hasFruits = fs.existsSync(path.join(FRUITS_DIR, 'images'));
/** the tag in the title of every test of the group (the summary folds their skips into one line) */
export const DATASETS_GROUP = '[public-datasets]';
export const DATASETS_MISSING = `skipped: ${DATASETS_DIR} is not present`;
/** the one line the summary prints when the group was skipped */
export const DATASETS_HINT = `${DATASETS_GROUP} group skipped: the public data sets are not at ${DATASETS_DIR}; to run it, set MASKWRIGHT_DATASETS=/path/to/datasets (dsb2018-nuclei/, fruits-nuts-coco/) or put them at ../shared/datasets`;
