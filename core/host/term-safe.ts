/**
 * Text from outside (file names, paths, messages that quote them) printed to a terminal in human
 * output: control characters (newline, ESC sequences such as `ESC[2J` or OSC title sets, C1
 * controls, DEL) and bidirectional overrides are shown escaped (`\n`, `\x1b`, `\u202e`), so a
 * file name cannot clear the screen, retitle the window or forge output lines. JSON output stays
 * exact (JSON.stringify escapes control characters itself).
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

export function termSafe(text: string): string {
  return String(text).replace(UNSAFE, (c) => {
    const named = NAMED[c];
    if (named) return named;
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
