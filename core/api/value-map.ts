/**
 * The text form of a mask value map, shared by the CLI (`--values`, `--ignore`) and the import
 * dialog: "255=horse,0=membrane,1=road,2=road" -> value -> class name.
 */

/**
 * Parses `255=horse,0=membrane,1=road,2=road` into value -> class name. Throws an Error with a
 * message for the person on a malformed entry or a value given twice.
 */
export function parseValueMap(text: string, what = '--values'): Record<number, string> {
  const out: Record<number, string> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(\d{1,5})\s*=\s*(.+)$/.exec(part);
    const value = m ? Number(m[1]) : NaN;
    if (!m || value > 65535) throw new Error(`${what} entry "${part}" is not VALUE=CLASS (VALUE 0-65535)`);
    if (Object.prototype.hasOwnProperty.call(out, value)) throw new Error(`${what} gives value ${value} twice`);
    out[value] = m[2]!.trim();
  }
  if (Object.keys(out).length === 0) throw new Error(`${what} needs at least one VALUE=CLASS`);
  return out;
}

/** Parses an ignore value (a mask value 0-65535). */
export function parseIgnoreValue(text: string, what = '--ignore'): number {
  const n = Number(text);
  if (!/^\d{1,5}$/.test(text.trim()) || n > 65535) throw new Error(`${what} must be a mask value 0-65535`);
  return n;
}
