/**
 * The shell of every HTML page the probe writes (the audit report, the diff page): doctype,
 * charset, a strict Content-Security-Policy in a meta tag, viewport and title, then the one
 * inline style and the optional one inline script, each allowed by the sha256 of its text
 * (CSP Level 2 hash sources): no 'unsafe-inline', nothing loaded from anywhere (default-src
 * 'none'), images only as data: URLs, no <base>, no form posts. So a page opened from a mail
 * attachment works offline and a string that slipped through escaping could still run nothing.
 *
 * Pure (hashing is computation). The page's text comes in as written by its renderer; the
 * title is the only value escaped here (htmlText).
 */
import { createHash } from 'node:crypto';
import { htmlText } from './sanitize.js';

/** @example const head: HtmlHead = { title: 'mxprobe audit', style: 'body{margin:0}' }; */
export interface HtmlHead {
  /** Plain text (escaped here). */
  title: string;
  /** The page's one stylesheet (CSS text, written as given inside <style>). */
  style: string;
  /** The page's one script (JavaScript text, written as given inside <script>); none for a static page. */
  script?: string;
}

/** @example const page: HtmlPageParts = { title: 'diff', style: '', body: '<h1>diff</h1>' }; */
export interface HtmlPageParts extends HtmlHead {
  /** The markup inside <body>, already escaped by its renderer. */
  body: string;
}

/**
 * The CSP hash source of an inline text: `'sha256-<base64>'` of its UTF-8 bytes, exactly as
 * between the element's tags.
 *
 * @example cspHash('') // "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
 */
export function cspHash(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/**
 * The page's Content-Security-Policy: nothing but the given inline style and script.
 *
 * @example contentSecurityPolicy('body{}') // "default-src 'none'; style-src 'sha256-…'; script-src 'none'; img-src data:; base-uri 'none'; form-action 'none'"
 */
export function contentSecurityPolicy(style: string, script?: string): string {
  const scriptSource = script === undefined ? "'none'" : cspHash(script);
  return `default-src 'none'; style-src ${cspHash(style)}; script-src ${scriptSource}; img-src data:; base-uri 'none'; form-action 'none'`;
}

function guardClosingTag(text: string, tag: 'style' | 'script'): void {
  if (new RegExp(`</${tag}`, 'i').test(text)) throw new Error(`inline ${tag} text holds </${tag}`);
}

/**
 * Everything up to and including `<body>`: for a page written in pieces (a streamed report),
 * followed by its body and {@link HTML_PAGE_END}. The style and script are our own code; one
 * holding its own closing tag is a programming error and throws.
 *
 * @example htmlPageStart({ title: 'mxprobe audit', style: 'body{margin:0}' }).startsWith('<!DOCTYPE html>') // true
 */
export function htmlPageStart(head: HtmlHead): string {
  guardClosingTag(head.style, 'style');
  if (head.script !== undefined) guardClosingTag(head.script, 'script');
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(head.style, head.script)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    `<title>${htmlText(head.title)}</title>`,
    `<style>${head.style}</style>`,
    ...(head.script === undefined ? [] : [`<script>${head.script}</script>`]),
    '</head>',
    '<body>',
    '',
  ].join('\n');
}

/**
 * What closes a page begun with {@link htmlPageStart}.
 *
 * @example htmlPageStart(head) + body + HTML_PAGE_END
 */
export const HTML_PAGE_END = '</body>\n</html>\n';

/**
 * A whole page in one string (a static page such as the diff).
 *
 * @example htmlPage({ title: 'mxprobe diff', style: 'h1{font-size:1.2em}', body: '<h1>2 changes</h1>' })
 */
export function htmlPage(parts: HtmlPageParts): string {
  const { body, ...head } = parts;
  return `${htmlPageStart(head)}${body}\n${HTML_PAGE_END}`;
}
