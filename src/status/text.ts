import { createHash } from 'node:crypto';

// Characters XML 1.0 cannot carry at all (controls, lone surrogates, U+FFFE/U+FFFF): a
// stakeholder update holding one must not make the feed or the page unreadable.
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML or XML content and attribute values. */
export const escapeMarkup = (text: string): string => text.replace(NOT_XML, '\uFFFD').replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/** "2026-03-01 14:05 UTC": readable, unambiguous, and the same for every reader (the page is cached). */
export function readableTime(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** A stable URN for an Atom id (RFC 4122 name-based form, from a SHA-1 of the name). */
export function urnFor(name: string): string {
  const hex = createHash('sha1').update(name).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
