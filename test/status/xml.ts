/**
 * A strict little XML reader for the tests: enough to tell whether a document
 * is well-formed (balanced tags, quoted attributes, only the five predefined
 * entities and character references, no stray `<` or `&`, XML 1.0 characters
 * only) and to walk its elements. Not a general parser: no DTDs, no CDATA.
 */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_][\w.:-]*/;
const ENTITY = /^&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const BAD_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

function decode(text: string, at: number): string {
  let out = '';
  for (let i = 0; i < text.length; ) {
    const c = text[i]!;
    if (c === '<') throw new Error(`stray "<" at ${at + i}`);
    if (c === '&') {
      const m = ENTITY.exec(text.slice(i));
      if (!m) throw new Error(`bad entity at ${at + i}: ${text.slice(i, i + 12)}`);
      const ref = m[1]!;
      out += ref.startsWith('#x') ? String.fromCodePoint(parseInt(ref.slice(2), 16)) : ref.startsWith('#') ? String.fromCodePoint(Number(ref.slice(1))) : ENTITIES[ref];
      i += m[0].length;
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}

export function parseXml(source: string): XmlElement {
  if (BAD_CHAR.test(source)) throw new Error('a character XML 1.0 does not allow');
  let i = 0;
  const prolog = /^<\?xml[^?]*\?>\s*/.exec(source);
  if (prolog) i = prolog[0].length;
  const root: XmlElement = { name: '#document', attributes: {}, children: [], text: '' };
  const stack: XmlElement[] = [root];
  while (i < source.length) {
    const lt = source.indexOf('<', i);
    const text = source.slice(i, lt === -1 ? source.length : lt);
    if (stack.length === 1 && text.trim() !== '') throw new Error(`text outside the root element at ${i}`);
    stack.at(-1)!.text += decode(text, i);
    if (lt === -1) break;
    i = lt;
    if (source.startsWith('<!--', i)) {
      const end = source.indexOf('-->', i);
      if (end === -1) throw new Error('unclosed comment');
      i = end + 3;
    } else if (source.startsWith('</', i)) {
      const m = /^<\/([A-Za-z_][\w.:-]*)\s*>/.exec(source.slice(i));
      if (!m) throw new Error(`bad end tag at ${i}`);
      const open = stack.pop()!;
      if (open.name !== m[1]) throw new Error(`</${m[1]}> closes <${open.name}> at ${i}`);
      i += m[0].length;
    } else {
      const name = NAME.exec(source.slice(i + 1));
      if (!name) throw new Error(`bad start tag at ${i}`);
      const element: XmlElement = { name: name[0], attributes: {}, children: [], text: '' };
      if (stack.length === 1 && root.children.length > 0) throw new Error('a second root element');
      stack.at(-1)!.children.push(element);
      i += 1 + name[0].length;
      for (;;) {
        const space = /^\s*/.exec(source.slice(i))![0];
        i += space.length;
        if (source.startsWith('/>', i)) {
          i += 2;
          break;
        }
        if (source[i] === '>') {
          i += 1;
          stack.push(element);
          break;
        }
        if (!space) throw new Error(`attributes need white space between them at ${i}`);
        const attr = /^([A-Za-z_][\w.:-]*)\s*=\s*("([^"<]*)"|'([^'<]*)')/.exec(source.slice(i));
        if (!attr) throw new Error(`bad attribute at ${i}: ${source.slice(i, i + 20)}`);
        if (attr[1]! in element.attributes) throw new Error(`attribute ${attr[1]} twice`);
        element.attributes[attr[1]!] = decode(attr[3] ?? attr[4] ?? '', i);
        i += attr[0].length;
      }
    }
  }
  if (stack.length !== 1) throw new Error(`<${stack.at(-1)!.name}> is never closed`);
  if (root.children.length !== 1) throw new Error('no root element');
  return root.children[0]!;
}

export const childrenNamed = (element: XmlElement, name: string) => element.children.filter((c) => c.name === name);
export const childText = (element: XmlElement, name: string) => childrenNamed(element, name)[0]?.text;
