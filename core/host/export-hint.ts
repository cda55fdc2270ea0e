/**
 * `maskwright export` where nothing was exported: why, in words, and the exit status (exit-codes.ts).
 * A project without images FAILED (there is nothing to export); images left out because none has
 * a mask (or matches --status) is PARTIAL — or FAILED with --strict.
 */
import type { ImageStatus } from '../api/types';
import { EXIT, type ExitCode } from './exit-codes';

const STATUS_WORDS: Record<ImageStatus, string> = { unlabeled: 'unlabelled', in_progress: 'in progress', done: 'done', reviewed: 'reviewed' };

export function nothingExportedHint(
  counts: Record<ImageStatus, number>,
  opts: { statuses?: ImageStatus[] | undefined; strict?: boolean | undefined },
): { message: string; exit: ExitCode } {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const breakdown = (Object.keys(STATUS_WORDS) as ImageStatus[])
    .filter((s) => counts[s] > 0)
    .map((s) => `${counts[s]} ${STATUS_WORDS[s]}`)
    .join(', ');
  if (total === 0) return { message: 'Nothing was exported: the project has no images yet. Import some first (maskwright import <project-dir> <folder>).', exit: EXIT.FAILED };
  const partial = opts.strict ? EXIT.FAILED : EXIT.PARTIAL;
  const matching = opts.statuses ? opts.statuses.reduce((a, s) => a + (counts[s] ?? 0), 0) : total;
  if (opts.statuses && matching === 0) {
    return {
      message: `Nothing was exported: no image has the status ${opts.statuses.map((s) => STATUS_WORDS[s]).join(' or ')} (the project's ${total} ${total === 1 ? 'image is' : 'images are'}: ${breakdown}). Change --status, or leave it out to export every image with a mask.`,
      exit: partial,
    };
  }
  return {
    message:
      `Nothing was exported: none of the ${matching}${opts.statuses ? ' matching' : ''} ${matching === 1 ? 'image has' : 'images have'} a mask yet (${breakdown}). ` +
      'Label some in the app (or pre-label and accept the proposals) first, or pass --include-unannotated to export the images without masks.',
    exit: partial,
  };
}
