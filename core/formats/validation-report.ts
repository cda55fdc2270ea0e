/**
 * What went wrong (or was noticed) while reading or writing a dataset, entry by entry: which file,
 * which entry in it, what the problem is, and what was done about it. Both import plans and export
 * reports carry a list of these; all of it is plain JSON.
 */

export type IssueCode =
  /** a file cannot be read, or a required file/folder is absent */
  | 'unreadable'
  /** a JSON file does not parse (truncated, not JSON) */
  | 'invalid-json'
  /** an entry or file has the wrong shape or types */
  | 'schema'
  /** an id (image, annotation, category) or file name appears more than once */
  | 'duplicate-id'
  /** an annotation refers to a category (class) the file does not declare */
  | 'unknown-category'
  /** an annotation refers to an image the file does not declare */
  | 'unknown-image'
  /** a dataset image has no project image of that name */
  | 'unmatched-image'
  /** several project images have that name */
  | 'ambiguous-image'
  /** an image file is missing on disk */
  | 'missing-image'
  /** the dataset's image size differs from the project image */
  | 'size-mismatch'
  /** a polygon with no coordinates */
  | 'empty-polygon'
  /** a polygon with fewer than 3 distinct points, an odd number of coordinates, non-finite numbers or no area */
  | 'degenerate-polygon'
  /** coordinates outside the image */
  | 'out-of-bounds'
  /** an RLE that does not decode (bad characters, counts not summing to height*width, wrong size) */
  | 'bad-rle'
  /** an annotation covers no pixel (outside the image, or entirely under later annotations) */
  | 'empty-mask'
  /** a shape kind the importer does not turn into a mask (lines, points) */
  | 'unsupported-shape'
  /** a colour that the colour -> class mapping does not list */
  | 'unknown-color'
  /** more instances or classes than the format can hold */
  | 'too-many'
  /** the pixels of one instance carry several classes */
  | 'mixed-class'
  /** an export encoding choice worth knowing (a hole written as RLE, a polygon that loses pixels) */
  | 'encoding'
  /** two instances of the dataset cover the same pixels (the later one gets them) */
  | 'overlap'
  /** every entry for an image was skipped: its mask is left as it is */
  | 'all-skipped'
  /** an import would empty, shrink or partly replace a mask the image already has */
  | 'mask-loss';

/**
 * 'skipped': the entry was left out; 'repaired': it was used after a fix (clipped, renamed, ...);
 * 'noted': used as is, for information; 'fatal': nothing can be imported or exported.
 */
export type IssueAction = 'skipped' | 'repaired' | 'noted' | 'fatal';

export interface ValidationIssue {
  code: IssueCode;
  action: IssueAction;
  /** the file concerned (dataset file, or the image file on export) */
  file: string;
  /** the entry in that file, e.g. 'annotations[12] (id 13)', 'line 4', 'shapes[2]'; null for the whole file */
  entry: string | null;
  message: string;
}

/** How many issues there were per code and per action (including any beyond the listing limit). */
export interface IssueCounts {
  total: number;
  byCode: Partial<Record<IssueCode, number>>;
  byAction: Partial<Record<IssueAction, number>>;
}

/** At most this many issues of one code are listed; the rest are only counted. */
export const MAX_LISTED_PER_CODE = 200;

/** Collects issues, listing at most MAX_LISTED_PER_CODE of each code but counting all of them. */
export class IssueList {
  readonly items: ValidationIssue[] = [];
  readonly counts: IssueCounts = { total: 0, byCode: {}, byAction: {} };

  add(code: IssueCode, action: IssueAction, file: string, entry: string | null, message: string): void {
    const n = this.counts.byCode[code] ?? 0;
    this.counts.byCode[code] = n + 1;
    this.counts.byAction[action] = (this.counts.byAction[action] ?? 0) + 1;
    this.counts.total++;
    if (n < MAX_LISTED_PER_CODE || action === 'fatal') this.items.push({ code, action, file, entry, message });
  }

  get hasFatal(): boolean {
    return (this.counts.byAction.fatal ?? 0) > 0;
  }

  count(code?: IssueCode): number {
    return code ? (this.counts.byCode[code] ?? 0) : this.counts.total;
  }
}

/** One line for logs and CLI output: `file [entry]: message (skipped)`. */
export function formatIssue(i: ValidationIssue): string {
  return `${i.file}${i.entry ? ` [${i.entry}]` : ''}: ${i.message} (${i.action})`;
}
