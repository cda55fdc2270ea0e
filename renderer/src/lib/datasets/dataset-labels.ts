/** Words the dataset dialogs show for formats, issue actions and unmatched reasons (pure; no DOM). */
import type { DatasetExportFormat, DatasetImportFormat, DatasetIssue, DatasetImportPlan } from '../../../../core/api/types';

export interface FormatLabel {
  name: string;
  /** one line: what it is and who reads it */
  blurb: string;
}

export const EXPORT_FORMAT_LABELS: Record<DatasetExportFormat, FormatLabel> = {
  coco: { name: 'COCO (instances JSON)', blurb: 'One JSON file per split with polygons or RLE; read by Detectron2, MMDetection and pycocotools.' },
  voc: { name: 'Pascal VOC', blurb: 'Class and object PNGs (SegmentationClass/, SegmentationObject/) with ImageSets lists.' },
  'yolo-seg': { name: 'YOLO segmentation', blurb: 'One polygon text file per image plus data.yaml, as Ultralytics YOLO expects.' },
  labelme: { name: 'LabelMe', blurb: 'One JSON file of polygons next to each image; opens in the LabelMe tool.' },
  'index-masks': { name: 'Index masks', blurb: 'Plain PNGs whose pixel values are class numbers, plus instance-id PNGs.' },
};

export interface ImportFormatLabel extends FormatLabel {
  /** what the path must point at */
  pathHint: string;
  placeholder: string;
  /** whether the path is a folder (so a folder picker can choose it) */
  folder: boolean;
}

export const IMPORT_FORMAT_LABELS: Record<DatasetImportFormat, ImportFormatLabel> = {
  coco: {
    name: 'COCO (instances JSON)',
    blurb: 'Polygons and RLE from a COCO annotations file.',
    pathHint: 'The annotations .json file.',
    placeholder: '/data/fruits/annotations_coco.json',
    folder: false,
  },
  voc: {
    name: 'Pascal VOC',
    blurb: 'SegmentationClass/ (and SegmentationObject/) PNGs.',
    pathHint: 'The VOC root folder, the one that holds SegmentationClass/.',
    placeholder: '/data/VOC2012',
    folder: true,
  },
  'yolo-seg': {
    name: 'YOLO segmentation',
    blurb: 'Polygon text files described by a data.yaml.',
    pathHint: 'The dataset root folder with data.yaml and labels/.',
    placeholder: '/data/yolo-dataset',
    folder: true,
  },
  labelme: {
    name: 'LabelMe',
    blurb: 'LabelMe JSON files with polygons, rectangles and circles.',
    pathHint: 'A folder of LabelMe .json files, or one file.',
    placeholder: '/data/labelme',
    folder: true,
  },
  'mask-folder': {
    name: 'Mask folder',
    blurb: 'Class-value PNGs, with instance-id PNGs when present.',
    pathHint: 'The root folder with semantic_masks/ (and optionally instance_labels/).',
    placeholder: '/data/masks',
    folder: true,
  },
};

export type IssueAction = DatasetIssue['action'];
export const ISSUE_ACTIONS: readonly IssueAction[] = ['fatal', 'skipped', 'repaired', 'noted'];
export const ISSUE_ACTION_LABELS: Record<IssueAction, string> = {
  fatal: 'Fatal',
  skipped: 'Skipped',
  repaired: 'Repaired',
  noted: 'Noted',
};

export const UNMATCHED_LABELS: Record<string, string> = {
  'not-in-project': 'Not in this project',
  ambiguous: 'Several images have this name',
  duplicate: 'Image already annotated by another entry',
};

/** issues per action, in ISSUE_ACTIONS order, leaving out actions with none */
export function countIssues(issues: readonly DatasetIssue[]): { action: IssueAction; count: number }[] {
  const counts: Partial<Record<IssueAction, number>> = {};
  for (const i of issues) counts[i.action] = (counts[i.action] ?? 0) + 1;
  return ISSUE_ACTIONS.filter((a) => counts[a] !== undefined).map((a) => ({ action: a, count: counts[a] ?? 0 }));
}

/** the first fatal issue's message, for the "cannot be imported" line */
export function firstFatal(plan: DatasetImportPlan): string | null {
  return plan.issues.find((i) => i.action === 'fatal')?.message ?? null;
}

/** Joins a folder and a name with the separator the folder already uses. */
export function joinPath(dir: string, ...names: string[]): string {
  const sep = dir.includes('\\') && !dir.includes('/') ? '\\' : '/';
  return [dir.replace(/[\\/]+$/, ''), ...names].join(sep);
}
