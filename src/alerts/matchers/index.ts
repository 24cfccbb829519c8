/**
 * Alertmanager label matchers: `name="value"`, `name!="value"`, `name=~"regex"`,
 * `name!~"regex"`, alone or as a list `{a="b", c=~"d.*"}`, with Alertmanager's UTF-8
 * grammar, its fully anchored RE2 regexes (run in linear time) and its rule that a
 * missing label equals "".
 */
export {
  formatMatcher,
  formatMatchers,
  MATCHER_LIMITS,
  MATCHER_OPERATORS,
  matches,
  matchesValue,
  parseMatcher,
  parseMatchers,
  type Matcher,
} from './matcher.ts';
export { compileAnchoredRegex, REGEX_LIMITS, RegexSyntaxError, type LinearRegex } from './regex.ts';
export { matcherError, MatcherList, MatcherString } from './schema.ts';
