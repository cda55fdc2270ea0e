/**
 * Exit status of every `maskwright` command, one table for scripts (the README lists it).
 *
 *   0  OK        did what was asked, nothing skipped
 *   1  FAILED    an error: nothing (or, where stated, only a safe part) was done
 *   2  USAGE     wrong arguments; nothing was done
 *   3  PARTIAL   finished, but some items were skipped or left out (the report says which);
 *                `--strict` turns this into FAILED (export and import-annotations: before
 *                anything is written; import: the good files are still imported)
 *   4  DAMAGED   the project file is damaged (integrity check failed); nothing was written
 */
export const EXIT = {
  OK: 0,
  FAILED: 1,
  USAGE: 2,
  PARTIAL: 3,
  DAMAGED: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
