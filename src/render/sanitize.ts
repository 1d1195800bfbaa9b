/**
 * Makes text safe to show a person or to put in a log or a CSV cell: control characters
 * (C0, DEL, C1), escape sequences and bidirectional overrides are shown escaped (\x1b,
 * \u202e), so a banner, a file name or an option value cannot move the cursor, recolour
 * the screen or reorder what is shown. The one sanitiser: everything shown goes through it.
 */
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ufffd]/g;

function escape(ch: string): string {
  const code = ch.charCodeAt(0);
  if (ch === '\ufffd') return '\\ufffd';
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** @example sanitize('220 \x1b[31mred') // '220 \\x1b[31mred' */
export function sanitize(text: string, maxLength = 1000): string {
  const cut = text.length > maxLength ? `${text.slice(0, maxLength)}…` : text;
  return cut.replace(UNSAFE, escape);
}

/**
 * A value quoted in a message to a person (an option value, an argument, a file name):
 * sanitised, between double quotes, cut to about `maxLength` characters as shown (an escape
 * is never cut in half). It replaces `JSON.stringify(value)`, which leaves C1 controls, DEL
 * and bidi overrides raw and shows control characters in another notation than sanitize().
 * @example quote('bad\u202ename') // '"bad\\u202ename"'
 */
export function quote(text: string, maxLength = 80): string {
  let shown = '';
  for (const ch of text) {
    const piece = ch.replace(UNSAFE, escape);
    if (shown.length + piece.length > maxLength) return `"${shown}…"`;
    shown += piece;
  }
  return `"${shown}"`;
}

const HTML_SPECIAL: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Text for an HTML page, in an element or a quoted attribute: sanitize()d (controls and bidi
 * overrides shown escaped, cut to `maxLength`), then `& < > " '` as character references, so
 * that a banner or a certificate name holding `<script>` or `" onerror=` stays text. The one
 * HTML escape: every string a report page shows goes through it.
 *
 * @example htmlText('<script>alert(1)</script>') // '&lt;script&gt;alert(1)&lt;/script&gt;'
 */
export function htmlText(text: string, maxLength = 1000): string {
  return sanitize(text, maxLength).replace(/[&<>"']/g, (ch) => HTML_SPECIAL[ch] ?? ch);
}

/**
 * A value as JSON that can sit inside an HTML `<script type="application/json">` element
 * (data a report page's own script reads): `<`, `>` and `&` as \u escapes, so no string can
 * close the element (`</script>`) or open a comment (`<!--`), and U+2028/U+2029 escaped too.
 * Strings are kept whole (the page shows them through textContent, never as HTML).
 *
 * @example jsonInHtml({ banner: '</script><script>alert(1)' }) // '{"banner":"\\u003c/script\\u003e\\u003cscript\\u003ealert(1)"}'
 */
export function jsonInHtml(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
