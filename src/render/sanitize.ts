/**
 * Makes text that came from the network safe for a terminal, a log or a CSV cell:
 * control characters (C0, DEL, C1), escape sequences and bidirectional overrides are
 * shown escaped (\x1b, \u202e), so a banner cannot move the cursor, recolour the screen
 * or reorder what is shown.
 */
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ufffd]/g;

/** @example sanitize('220 \x1b[31mred') // '220 \\x1b[31mred' */
export function sanitize(text: string, maxLength = 1000): string {
  const cut = text.length > maxLength ? `${text.slice(0, maxLength)}…` : text;
  return cut.replace(UNSAFE, (ch) => {
    const code = ch.charCodeAt(0);
    if (ch === '\ufffd') return '\\ufffd';
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
