/** core/mask public API: pure TypeScript mask model and raster operations (no Node, no DOM). */
export * from './types';
export * from './mask-decode-error';
export * from './label-map';
export * from './rle';
export * from './polygon';
export * from './contour';
export * from './brush';
export * from './flood-fill';
export * from './components';
export * from './morphology';
export * from './agreement';
