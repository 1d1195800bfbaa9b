/**
 * A strict, small XML 1.0 parser for tests: elements, attributes, character data, the five
 * predefined entities and character references, one XML declaration. It throws on anything
 * not well-formed that a writer could get wrong: an unescaped & or <, a raw ']]>' in text,
 * a '<' in an attribute, unquoted or duplicate attributes, mismatched or unclosed tags,
 * characters XML 1.0 forbids, text outside the root. No DTD, comments, CDATA or PIs.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** The element's own character data, entities decoded (children's text not included). */
  text: string;
}

const NAME = /^[A-Za-z_:][A-Za-z0-9_:.-]*/;
const FORBIDDEN = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(raw: string, where: string): string {
  return raw.replace(/&([^;&<]*);?/g, (match, body: string) => {
    if (!match.endsWith(';')) throw new Error(`bare & in ${where}`);
    if (body in ENTITIES) return ENTITIES[body] as string;
    const ref = /^#(?:x([0-9A-Fa-f]+)|([0-9]+))$/.exec(body);
    if (ref === null) throw new Error(`unknown entity &${body}; in ${where}`);
    const code = ref[1] !== undefined ? Number.parseInt(ref[1], 16) : Number(ref[2]);
    const ch = String.fromCodePoint(code);
    if (FORBIDDEN.test(ch) || code === 0) throw new Error(`reference to a forbidden character &${body}; in ${where}`);
    return ch;
  });
}

/** @example parseXml('<a b="1">x</a>') // { name: 'a', attrs: { b: '1' }, children: [], text: 'x' } */
export function parseXml(xml: string): XmlElement {
  const bad = FORBIDDEN.exec(xml);
  if (bad !== null) throw new Error(`forbidden character U+${bad[0].charCodeAt(0).toString(16)} at ${bad.index}`);
  let pos = 0;
  const decl = /^<\?xml\s+version="1\.[0-9]"(?:\s+encoding="[A-Za-z0-9._-]+")?\s*\?>/.exec(xml);
  if (decl !== null) pos = decl[0].length;
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  while (pos < xml.length) {
    const lt = xml.indexOf('<', pos);
    const text = xml.slice(pos, lt < 0 ? xml.length : lt);
    if (text.length > 0) {
      const parent = stack.at(-1);
      if (parent === undefined) {
        if (text.trim() !== '') throw new Error(`text outside the root element at ${pos}`);
      } else {
        if (text.includes(']]>')) throw new Error(`']]>' in character data at ${pos}`);
        parent.text += decode(text, `text at ${pos}`);
      }
    }
    if (lt < 0) break;
    pos = lt + 1;
    if (xml[pos] === '/') {
      const name = NAME.exec(xml.slice(pos + 1))?.[0];
      const open = stack.pop();
      if (name === undefined || open === undefined || open.name !== name) throw new Error(`mismatched closing tag ${name ?? '?'} at ${lt}`);
      pos += 1 + name.length;
      const end = /^\s*>/.exec(xml.slice(pos));
      if (end === null) throw new Error(`bad closing tag at ${lt}`);
      pos += end[0].length;
      continue;
    }
    const name = NAME.exec(xml.slice(pos))?.[0];
    if (name === undefined) throw new Error(`bad tag at ${lt}`);
    pos += name.length;
    const element: XmlElement = { name, attrs: {}, children: [], text: '' };
    for (;;) {
      const space = /^\s*/.exec(xml.slice(pos))?.[0] ?? '';
      pos += space.length;
      if (xml.startsWith('/>', pos) || xml[pos] === '>') break;
      if (space === '') throw new Error(`no space before an attribute at ${pos}`);
      const attr = /^([A-Za-z_:][A-Za-z0-9_:.-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/.exec(xml.slice(pos));
      if (attr === null) throw new Error(`bad attribute at ${pos}`);
      const [all, key, double, single] = attr as unknown as [string, string, string | undefined, string | undefined];
      const value = double ?? single ?? '';
      if (value.includes('<')) throw new Error(`'<' in attribute ${key}`);
      if (Object.hasOwn(element.attrs, key)) throw new Error(`duplicate attribute ${key}`);
      // Attribute-value normalisation (XML 1.0 §3.3.3): literal TAB, CR, LF become spaces.
      element.attrs[key] = decode(value.replace(/[\t\r\n]/g, ' '), `attribute ${key}`);
      pos += all.length;
    }
    const parent = stack.at(-1);
    if (parent !== undefined) parent.children.push(element);
    else if (root === null) root = element;
    else throw new Error(`second root element at ${lt}`);
    if (xml.startsWith('/>', pos)) {
      pos += 2;
    } else {
      pos += 1;
      stack.push(element);
    }
  }
  if (stack.length > 0) throw new Error(`unclosed element ${stack.at(-1)?.name}`);
  if (root === null) throw new Error('no root element');
  return root;
}

/** Every descendant element with this name, in document order. */
export function findAll(element: XmlElement, name: string): XmlElement[] {
  return element.children.flatMap((child) => [...(child.name === name ? [child] : []), ...findAll(child, name)]);
}
