/**
 * The shared contract of the per-image feature stack (issue 11; also consumed by the
 * click-to-object work of issue 12). Pure types: no imports, safe for any layer.
 *
 * Layout is HWC: feature f of pixel (x, y) is `data[(y * width + x) * channels + f]`.
 */

/** Pixels in, interleaved (HWC), any numeric array (8-bit, 16-bit or float). */
export interface FeatureImage {
  data: ArrayLike<number>;
  width: number;
  height: number;
  channels: number;
}

/** The filter bank's filters (each per plane and scale). */
export type FilterName = 'gaussian' | 'gradient' | 'log' | 'dog' | 'hessian' | 'structure';

export interface FeatureStackOptions {
  /** Gaussian scales in pixels (default 0.7, 1.6, 3.5, 5, 10) */
  scales?: number[];
  /** filters on the luminance plane (default: all six) */
  filters?: FilterName[];
  /** filters on each colour channel when channels > 1 (default: ['gaussian']) */
  colorFilters?: FilterName[];
  /** multiplier from raw pixel values to intensities (default 1/255 for Uint8Array, 1/65535 for Uint16Array, else 1) */
  valueScale?: number;
  /**
   * per-image intensity normalisation before filtering: 'none' (default), or 'robust': the
   * 1st..99.5th percentile of luminance becomes 0..1 (all channels, same map), so images of one
   * kind but different exposure share features
   */
  normalize?: 'none' | 'robust';
  /** 'dark-background' inverts an image whose median luminance is above the middle of its range (bright-field vs fluorescence); default 'as-is' */
  polarity?: 'as-is' | 'dark-background';
  /** images taller than this are computed in bands of this many rows (default 512) */
  tileRows?: number;
}

/** Features out: one Float32 per pixel and feature, HWC, plus a readable name per feature. */
export interface FeatureStack {
  width: number;
  height: number;
  channels: number;
  data: Float32Array;
  names: string[];
}

export type ComputeFeatureStack = (image: FeatureImage, opts?: FeatureStackOptions) => FeatureStack;
