import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMasker, MASK } from '../../src/runbooks/mask.ts';

const FBK = `fbk_${'A1b2_C3d4-'.repeat(4)}xyz`;

describe('createMasker', () => {
  it('masks every occurrence of a known secret value, longest first', () => {
    const masker = createMasker(['hunter2!', 'hunter2!-and-more', 'abc']);
    expect(masker.mask('a hunter2! b hunter2!-and-more c')).toBe(`a ${MASK} b ${MASK} c`);
    // Values shorter than four characters would mask ordinary words.
    expect(masker.mask('abc abc')).toBe('abc abc');
  });

  it('masks a secret value as read from a file (trailing newline), URL-encoded and JSON-escaped', () => {
    const masker = createMasker(['p@ss "word"/x\n']);
    expect(masker.mask('p@ss "word"/x')).toBe(MASK);
    expect(masker.mask(`url: https://h/?q=${encodeURIComponent('p@ss "word"/x\n')}`)).toBe(`url: https://h/?q=${MASK}`);
    expect(masker.mask(JSON.stringify({ v: 'p@ss "word"/x\n' }))).toBe(`{"v":"${MASK}"}`);
  });

  it.each([
    ['a Firebreak token', `using ${FBK} now`, `using ${MASK} now`],
    ['an AWS access key id', 'key AKIAIOSFODNN7EXAMPLE here', `key ${MASK} here`],
    ['a temporary AWS key id', 'ASIAY34FZKBOKMUTVV7A', MASK],
    ['a GitHub token', `ghp_${'a'.repeat(36)} and gho_${'B'.repeat(36)}`, `${MASK} and ${MASK}`],
    ['a fine-grained GitHub token', `github_pat_11ABCDEFG0123456789_${'x'.repeat(59)}`, MASK],
    ['a Slack token', 'xoxb-1234567890-abcdefghij', MASK],
    ['a JWT', 'jwt=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_nature-1 ok', `jwt=${MASK} ok`],
    ['a bearer Authorization header', 'Authorization: Bearer abc.def-ghi', `Authorization: Bearer ${MASK}`],
    ['a basic Authorization header', '> authorization: Basic dXNlcjpwYXNz', `> authorization: Basic ${MASK}`],
    ['a bare bearer token', 'sent Bearer 0123456789abcdefXYZ==', `sent Bearer ${MASK}`],
    ['password=', 'psql password=s3cr3t host=db', `psql password=${MASK} host=db`],
    ['an env dump', 'DB_PASSWORD=x1\nPGPASSWORD=y2\nclient_secret=z3\nGITHUB_TOKEN=w4\nAPI_KEY="a b"', `DB_PASSWORD=${MASK}\nPGPASSWORD=${MASK}\nclient_secret=${MASK}\nGITHUB_TOKEN=${MASK}\nAPI_KEY="${MASK}"`],
    ['a query string', 'GET /cb?code=1&token=abc123&x=2', `GET /cb?code=1&token=${MASK}&x=2`],
    ['a JSON value', '{"user":"a","password": "p\\"w","apiKey":"k1"}', `{"user":"a","password": "${MASK}","apiKey":"${MASK}"}`],
    ['a Python dict value', "{'secret': 'abc'}", `{'secret': '${MASK}'}`],
    ['a YAML value and an HTTP header', 'db:\n  password: hunter2\nX-Api-Key: k-123\n', `db:\n  password: ${MASK}\nX-Api-Key: ${MASK}\n`],
    ['a command-line option', '+ mysql --password hunter2 -h db', `+ mysql --password ${MASK} -h db`],
    ['credentials in a URL', 'origin https://bot:gh-secret@github.com/x.git', `origin https://bot:${MASK}@github.com/x.git`],
  ])('masks %s', (_what, input, expected) => {
    expect(createMasker([]).mask(input)).toBe(expected);
  });

  it('masks a PEM private key block, and one that is cut off', () => {
    const key = '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAK\n-----END RSA PRIVATE KEY-----';
    expect(createMasker([]).mask(`before\n${key}\nafter`)).toBe(
      `before\n-----BEGIN RSA PRIVATE KEY-----${MASK}-----END RSA PRIVATE KEY-----\nafter`,
    );
    expect(createMasker([]).mask('-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn')).toBe(`-----BEGIN OPENSSH PRIVATE KEY-----${MASK}`);
    expect(createMasker([]).mask('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----')).toBe(
      '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
    );
  });

  it('leaves ordinary output alone', () => {
    const text = [
      'max_tokens=5 token_count=3 tokenizer=fast secret_name=db PWD=/home/x',
      'Missing value for key "host": "db1"',
      'Basic checks passed; Authorization failed for user bob? no.',
      'eyJ alone, AKIA123, ghp_short, xoxb-1',
    ].join('\n');
    expect(createMasker(['hunter2']).mask(text)).toBe(text);
  });
});

/** Text that cannot form a secret pattern: no e/o/w (every keyword has one), no capitals, no _ or @. */
const plainChar = fc.constantFrom(...'abcdfghijklmnpqrstuvxyz0123456789 \n\t.,:;!?()[]{}<>/-+=*#"\'ü€😀'.match(/./gu)!);
const plainText = fc.array(plainChar, { maxLength: 200 }).map((chars) => chars.join(''));
const secret = fc.string({ minLength: 4, maxLength: 40, unit: 'binary' }).filter((value) => !value.includes('•'));
const anyText = fc.oneof(
  fc.string({ maxLength: 200, unit: 'binary' }),
  fc.array(
    fc.oneof(
      fc.constantFrom('password=', 'token: ', '"secret": "', 'Authorization: Bearer ', '-----BEGIN RSA PRIVATE KEY-----', '-----END RSA PRIVATE KEY-----', 'https://u:', '@', 'eyJ', '.', 'fbk_', 'AKIA', '\n', ' ', '--token ', '\\', '"', "'"),
      fc.string({ maxLength: 20 }),
    ),
    { maxLength: 30 },
  ).map((parts) => parts.join('')),
);

describe('createMasker properties', () => {
  it('masking twice is masking once', () => {
    fc.assert(
      fc.property(fc.array(secret, { maxLength: 3 }), anyText, (secrets, text) => {
        const masker = createMasker(secrets);
        const once = masker.mask(text);
        expect(masker.mask(once)).toBe(once);
      }),
      { numRuns: 2000 },
    );
  });

  it('a secret never survives, whatever surrounds it', () => {
    fc.assert(
      fc.property(fc.array(secret, { minLength: 1, maxLength: 3 }), anyText, anyText, fc.nat(), (secrets, before, after, pick) => {
        const chosen = secrets[pick % secrets.length]!;
        const masked = createMasker(secrets).mask(`${before}${chosen}${after}`);
        expect(masked.includes(chosen.trim().length >= 4 ? chosen.trim() : chosen)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('text without secrets is unchanged', () => {
    fc.assert(
      fc.property(plainText, (text) => {
        expect(createMasker(['hunter2', 'correct horse']).mask(text)).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });

  it('takes linear time on long hostile input', () => {
    const unit = [
      'eyJ', 'eyJa.', 'a_', '-', 'a-', 'password', 'password ', '"password": "\\', "'token': '",
      '-----BEGIN ', '-----BEGIN RSA PRIVATE KEY-----', 'authorization: ', 'bearer ', 'https://', 'a://b:',
      'xoxb-', 'ghp_', 'github_pat_', 'fbk_', 'AKIA', '--token', 'x=', 'token=', '\n  password:', ' ', ':',
    ];
    const masker = createMasker(['hunter2', 'aaaa-bbbb']);
    for (const piece of unit) {
      const text = piece.repeat(Math.ceil(200_000 / piece.length));
      // A quadratic pattern would take minutes here; the test timeout ends it.
      expect(masker.mask(text).length).toBeGreaterThan(0);
    }
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...unit), { minLength: 1, maxLength: 4 }), (pieces) => {
        const text = pieces.join('').repeat(Math.ceil(50_000 / pieces.join('').length));
        expect(typeof masker.mask(text)).toBe('string');
      }),
      { numRuns: 50 },
    );
  });
});
