/** Expected failures travel as typed errors with a message a person understands. */
export const ERROR_CODES = [
  'invalid-argument',
  'not-found',
  'already-exists',
  'unsupported-format',
  'corrupt-image',
  'corrupt-data',
  'truncated-image',
  'empty-file',
  'too-large',
  'io',
  'conflict',
  'cancelled',
  'forbidden',
  'not-available',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface SerializedError {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }

  toJSON(): SerializedError {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  static from(err: unknown): AppError {
    if (err instanceof AppError) return err;
    if (isSerializedError(err)) return new AppError(err.code, err.message, err.details);
    const message = err instanceof Error ? err.message : String(err);
    return new AppError('internal', message);
  }
}

export function isSerializedError(v: unknown): v is SerializedError {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as SerializedError).message === 'string' &&
    (ERROR_CODES as readonly string[]).includes((v as SerializedError).code)
  );
}
