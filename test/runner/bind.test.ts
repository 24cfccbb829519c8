import { describe, expect, it } from 'vitest';
import { BindError, bindPromql, bindSql, parseHttpRequest } from '../../src/runner/index.ts';

describe('bindSql', () => {
  it('turns references into psql variables read from the environment', () => {
    const bound = bindSql("SELECT ${A}, '${A}', E'x\\'${B:-dflt}', \"${COL}\" FROM t WHERE n = $N;", { A: "o'hara", COL: 'id', N: '5' });
    expect(bound.script).toBe(
      [
        '\\getenv fb_param_1 FIREBREAK_SQL_PARAM_1',
        '\\getenv fb_param_2 FIREBREAK_SQL_PARAM_2',
        '\\getenv fb_param_3 FIREBREAK_SQL_PARAM_3',
        '\\getenv fb_param_4 FIREBREAK_SQL_PARAM_4',
        "SELECT :'fb_param_1', (:'fb_param_1'), (E'x\\'' || :'fb_param_2'), :\"fb_param_3\" FROM t WHERE n = :'fb_param_4';",
      ].join('\n'),
    );
    expect(bound.env).toEqual({ FIREBREAK_SQL_PARAM_1: "o'hara", FIREBREAK_SQL_PARAM_2: 'dflt', FIREBREAK_SQL_PARAM_3: 'id', FIREBREAK_SQL_PARAM_4: '5' });
  });

  it('leaves comments, dollar quotes and unset bare names alone', () => {
    const text = '-- ${A}\n/* ${A} /* nested */ */ SELECT $body$ x $body$, $1, $UNSET, $USER;';
    expect(bindSql(text, { A: 'a', USER: 'root' }).script).toBe(text);
  });

  it('refuses references it cannot bind', () => {
    expect(() => bindSql('CREATE FUNCTION f() AS $$ SELECT ${A} $$', { A: 'a' })).toThrow(BindError);
    expect(() => bindSql('SELECT "col_${A}" FROM t', { A: 'a' })).toThrow(BindError);
  });
});

describe('bindPromql', () => {
  it('escapes values inside strings and allows only plain values outside them', () => {
    expect(bindPromql('rate(x{job="${JOB}", path=~\'${P}\'}[${W}]) > ${N}', { JOB: 'a"b\\c\nd', P: "it's", W: '1h30m', N: '0.5' })).toBe(
      'rate(x{job="a\\"b\\\\c\\nd", path=~\'it\\\'s\'}[1h30m]) > 0.5',
    );
    expect(() => bindPromql('x > ${N}', { N: '1 or up' })).toThrow(/cannot stand outside quotes/);
    expect(() => bindPromql('x{a=`${V}`}', { V: 'a`b' })).toThrow(/backtick/);
    expect(bindPromql('rate(x[$__rate_interval]) # ${N}', { N: 'not bound in a comment' })).toBe('rate(x[$__rate_interval]) # ${N}');
  });
});

describe('parseHttpRequest', () => {
  it('reads method, URL, headers and body', () => {
    const request = parseHttpRequest('// note\nDELETE https://api.example.com/v1/items/${ID}?force=${FORCE} HTTP/1.1\nAccept: application/json\n# a comment\nX-Token: ${TOKEN}\n\nplain ${ID}\n', {
      ID: 'a/b c',
      FORCE: 'true&admin=1',
      TOKEN: 't0k',
    });
    expect(request).toEqual({
      method: 'DELETE',
      url: 'https://api.example.com/v1/items/a%2Fb%20c?force=true%26admin%3D1',
      headers: [
        ['Accept', 'application/json'],
        ['X-Token', 't0k'],
      ],
      body: 'plain a/b c',
    });
  });

  it('takes a base address from a value only when it is an http URL', () => {
    expect(parseHttpRequest('${BASE}/health', { BASE: 'https://grafana.example.com/' }).url).toBe('https://grafana.example.com/health');
    expect(() => parseHttpRequest('${BASE}/health', { BASE: 'file:///etc/passwd' })).toThrow(BindError);
    expect(() => parseHttpRequest('ftp://example.com/x', {})).toThrow(/http/);
  });

  it('escapes values for form bodies', () => {
    const request = parseHttpRequest('POST https://x.example/\nContent-Type: application/x-www-form-urlencoded\n\nq=${Q}&n=1', { Q: 'a&n=2' });
    expect(request.body).toBe('q=a%26n%3D2&n=1');
  });
});
