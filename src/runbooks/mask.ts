/**
 * Output masking: what a step prints passes through here before it leaves the runner,
 * so a secret never reaches the server, the timeline or a chat channel.
 *
 * Two kinds of secret are hidden: values the runner knows (configured secrets and the
 * variables a step names as secret), and text that looks like a credential whoever
 * printed it (API tokens, keys, `password=` assignments, private keys).
 *
 * Every pattern runs in linear time on any input, since step output is untrusted and
 * can be long: no nested or overlapping quantifiers, and each pattern that scans a run
 * of characters may only start where such a run starts (a negative lookbehind), so a
 * long run is scanned once rather than once from each of its characters.
 */

export const MASK = '••••••';

/** Values shorter than this would mask ordinary words and numbers. */
const MIN_SECRET_LENGTH = 4;

export interface Masker {
  mask(text: string): string;
}

interface Rule {
  readonly pattern: RegExp;
  readonly replace: string | ((match: string, ...groups: string[]) => string);
}

/** Words that mark the value beside them as secret, in `key=value`, `"key": "value"` and `key: value`. */
const SECRET_WORDS = 'password|passwd|passphrase|secret|token|api[_-]?key|access[_-]?key|private[_-]?key';
/** The key may carry a prefix (`DB_PASSWORD`, `client_secret`, `X-Api-Key`), matched lazily from the run's start. */
const KEY = `[A-Za-z0-9_.-]*?(?:${SECRET_WORDS})`;

const RULES: readonly Rule[] = [
  // A private key may be cut off (output truncated, or the rest still to come): mask to the end then.
  {
    pattern: /(-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY-----)[\s\S]*?(-----END[ A-Z0-9]{0,40}PRIVATE KEY-----|$)/g,
    replace: (_match, begin = '', end = '') => `${begin}${MASK}${end}`,
  },
  // Firebreak API and runner tokens.
  { pattern: /fbk_[A-Za-z0-9_-]{43}/g, replace: MASK },
  // AWS access key ids.
  { pattern: /(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])/g, replace: MASK },
  // GitHub tokens: classic (ghp_, gho_, ghu_, ghs_, ghr_) and fine-grained.
  { pattern: /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})/g, replace: MASK },
  // Slack tokens.
  { pattern: /(?<![A-Za-z0-9-])xox[abposr]-[A-Za-z0-9-]{10,}/g, replace: MASK },
  // JWTs: header and payload are base64url JSON, so the header starts with eyJ.
  { pattern: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, replace: MASK },
  // Credentials in URLs: scheme://user:password@host.
  { pattern: /(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]{0,20}:\/\/[^\s/:@]{1,256}:)[^\s/@]{1,256}@/g, replace: (_match, head = '') => `${head}${MASK}@` },
  // Authorization and Proxy-Authorization header values, with or without a scheme word.
  {
    pattern: /(authorization[ \t]*[:=][ \t]*["']?(?:(?:bearer|basic|token|digest|negotiate)[ \t]+)?)[^\s"',;]+/gi,
    replace: (_match, head = '') => `${head}${MASK}`,
  },
  // A bearer token outside a header (`Bearer abc…`); long enough not to be a word.
  { pattern: /(?<![A-Za-z0-9_])(bearer[ \t]+)[A-Za-z0-9._~+/-]{16,}=*/gi, replace: (_match, head = '') => `${head}${MASK}` },
  // "password": "value" and 'password': 'value' (JSON, Python, JavaScript).
  {
    pattern: new RegExp(`("${KEY}"[ \\t]*:[ \\t]*")(?:[^"\\\\\\n]|\\\\.)+`, 'gi'),
    replace: (_match, head = '') => `${head}${MASK}`,
  },
  {
    pattern: new RegExp(`('${KEY}'[ \\t]*:[ \\t]*')(?:[^'\\\\\\n]|\\\\.)+`, 'gi'),
    replace: (_match, head = '') => `${head}${MASK}`,
  },
  // key=value (environment dumps, connection strings, query strings, command lines).
  {
    pattern: new RegExp(`(?<![A-Za-z0-9_.-])(${KEY}[ \\t]*=[ \\t]*)("[^"\\n]+"|'[^'\\n]+'|[^\\s&;,"'<>]+)`, 'gi'),
    replace: (_match, head = '', value = '') => {
      const quote = value.startsWith('"') || value.startsWith("'") ? value[0]! : '';
      return `${head}${quote}${MASK}${quote}`;
    },
  },
  // Command-line options: --password secret, --api-key secret.
  {
    pattern: new RegExp(`(?<![A-Za-z0-9_-])(--?${KEY}[ \\t]+)[^\\s-]\\S*`, 'gi'),
    replace: (_match, head = '') => `${head}${MASK}`,
  },
  // key: value at the start of a line (YAML, HTTP headers such as X-Api-Key or Private-Token).
  {
    pattern: new RegExp(`^([ \\t]*(?:- )?${KEY}[ \\t]*:[ \\t]*)\\S.*`, 'gim'),
    replace: (_match, head = '') => `${head}${MASK}`,
  },
];

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The forms a value takes in output besides itself: trimmed (read from a file with its
 * newline), URL-encoded (in a printed URL) and JSON-escaped (in printed JSON).
 */
function variantsOf(value: string): string[] {
  const trimmed = value.trim();
  return [value, trimmed, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)];
}

/**
 * The secret values worth masking, each form once, longest first so that a value
 * containing another is masked whole. A value containing the mask character would make
 * masking twice differ from masking once, and cannot occur in real secrets anyway.
 */
export function secretForms(secretValues: readonly string[]): string[] {
  const forms = new Set<string>();
  for (const value of secretValues) {
    for (const form of variantsOf(value)) {
      if (form.length >= MIN_SECRET_LENGTH && !form.includes('•')) forms.add(form);
    }
  }
  return [...forms].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
}

export function createMasker(secretValues: readonly string[]): Masker {
  const forms = secretForms(secretValues);
  // One alternation, longest first: at each position the longest value wins.
  const known = forms.length === 0 ? null : new RegExp(forms.map(escapeRegExp).join('|'), 'g');
  return {
    mask(text: string): string {
      let masked = known === null ? text : text.replace(known, MASK);
      for (const rule of RULES) {
        rule.pattern.lastIndex = 0;
        masked = typeof rule.replace === 'string' ? masked.replace(rule.pattern, rule.replace) : masked.replace(rule.pattern, rule.replace);
      }
      return masked;
    },
  };
}
