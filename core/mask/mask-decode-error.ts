/**
 * Thrown when a serialised mask (label-map blob, COCO RLE string or counts) is corrupt,
 * truncated or inconsistent. Decoders throw this rather than return a wrong mask.
 * `code` matches core/api's 'corrupt-data' so services can wrap it into an AppError.
 */
export class MaskDecodeError extends Error {
  readonly code = 'corrupt-data' as const;
  constructor(message: string) {
    super(message);
    this.name = 'MaskDecodeError';
  }
}
