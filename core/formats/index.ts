/** core/formats: dataset import and export (COCO, Pascal VOC, YOLO-seg, LabelMe, index-mask PNGs). */
export { exportDataset, buildCategories, EXPORT_FORMATS, type ExportedVersion, type ExportSource, type ExportOptions, type ExportProgress, type ExportReport, type ExportRunOptions } from './export-dataset';
export { planImport, applyImport, IMPORT_FORMATS, type ApplyImportOptions, type ImportFormat, type ImportPlan, type ImportRequest, type ImportResult } from './import-dataset';
export type { ClassMapping, PlannedClass, PlannedImage, UnmatchedImage } from './import-context';
export type { ExportCategory, ExportFormat, SplitName } from './export-context';
export { assignSplits, type SplitSpec } from './assign-splits';
export { formatIssue, type IssueAction, type IssueCode, type IssueCounts, type ValidationIssue } from './validation-report';
export { decodePng, encodePng, PngError, type DecodedPng, type EncodePngInput } from './png-codec';
export { vocColormap, VOC_CLASS_NAMES } from './voc';
export type { CocoEncoding } from './coco';
export type { DatasetSource, DatasetSink } from './project-access';
