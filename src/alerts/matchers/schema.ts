import { Type, type Static } from '@sinclair/typebox';
import { isDomainError } from '../../core/errors.ts';
import { MATCHER_LIMITS, parseMatcher } from './matcher.ts';

// One name or value: unquoted text without Alertmanager's reserved characters, or a
// double-quoted string with backslash escapes. The alternatives never overlap, so
// the pattern cannot backtrack badly on hostile input.
const UNQUOTED = String.raw`[^\s{}!=~,\\"'\x60]+`;
const QUOTED = String.raw`"(?:[^"\\\n]|\\.)*"`;
const TOKEN = `(?:${UNQUOTED}|${QUOTED})`;

/**
 * One Alertmanager matcher as a config or API string, e.g. `severity=~"critical|page"`.
 * JSON Schema can only check its shape; whoever loads it must still call
 * parseMatcher (or matcherError) to refuse bad escapes and invalid regexes.
 */
export const MatcherString = Type.String({
  minLength: 1,
  maxLength: MATCHER_LIMITS.textLength,
  pattern: String.raw`^\s*` + TOKEN + String.raw`\s*(?:=~|!~|!=|=)\s*` + TOKEN + String.raw`\s*$`,
  description: 'an Alertmanager matcher such as severity="critical", team!="db" or service=~"api|web"',
  examples: ['severity="critical"', 'service=~"api|web"'],
});
export type MatcherString = Static<typeof MatcherString>;

/** A list of matchers that must all hold, e.g. a silence or a route. */
export const MatcherList = Type.Array(MatcherString, { maxItems: MATCHER_LIMITS.matchersPerList });
export type MatcherList = Static<typeof MatcherList>;

/** What is wrong with one matcher text, or null when it parses (regex included). */
export function matcherError(text: string): string | null {
  try {
    parseMatcher(text);
    return null;
  } catch (error) {
    if (isDomainError(error)) return error.message;
    throw error;
  }
}
