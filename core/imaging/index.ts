/** core/imaging: probe, decode, thumbnail and preview images with sharp (Node only). */
export {
  SUPPORTED_FORMATS,
  SUPPORTED_EXTENSIONS,
  SUPPORTED_FORMATS_TEXT,
  FORMAT_NAMES,
  SNIFF_BYTES,
  detectFormat,
  extensionOf,
  formatFromExtension,
  isSupportedExtension,
  type DetectedFormat,
  type ImageFormat,
  type KnownUnsupportedFormat,
} from './formats';
export { DEFAULT_MAX_PIXELS, type FailOn, type OpenImageOptions, type SampleFormat } from './image-source';
export { hashFile, probeImage, type ImageProbe, type ProbeImageOptions } from './probe-image';
export {
  decodeImage,
  toBitDepth8,
  toDisplayRgb8,
  type DecodeImageOptions,
  type DecodedImage,
  type DecodedImage8,
  type DecodedImage16,
  type DisplayOptions,
  type DisplayRgb8,
} from './decode-image';
export {
  DEFAULT_BACKGROUND,
  DEFAULT_HIGH_PERCENT,
  DEFAULT_LOW_PERCENT,
  flattenToRgb8,
  floatToUint16,
  percentileRange,
  scaleTo8,
  stretchTo8,
  type PercentileOptions,
  type StretchRange,
} from './percentile-stretch';
export {
  DEFAULT_THUMBNAIL_SIZE_PX,
  renderThumbnail,
  writeThumbnail,
  type EncodedThumbnail,
  type ThumbnailFormat,
  type ThumbnailOptions,
  type ThumbnailResult,
} from './thumbnail';
export {
  DEFAULT_PREVIEW_SIZE_PX,
  renderPreview,
  renderPreviewWithInfo,
  type ImagePreview, type PreviewFormat, type PreviewOptions } from './render-preview';
export { decodeBmp, readBmpHeader, type BmpHeader, type BmpImage, type DecodeBmpOptions } from './bmp-decoder';
