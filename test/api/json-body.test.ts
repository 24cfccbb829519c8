import { describe, expect, it } from 'vitest';
import { parseJsonBody } from '../../src/http/json.ts';

const parse = (text: string) => parseJsonBody(Buffer.from(text, 'utf8'));
const refusal = (text: string) => {
  try {
    parse(text);
  } catch (error) {
    return error as { code?: string; statusCode?: number; message: string };
  }
  throw new Error(`accepted ${text}`);
};

describe('request bodies', () => {
  it('parses plain JSON, with or without escapes', () => {
    expect(parse('{"alerts":[{"labels":{"alertname":"Disk"}}]}')).toEqual({ alerts: [{ labels: { alertname: 'Disk' } }] });
    expect(parse('{"a":"\\u00e9\\n"}')).toEqual({ a: 'é\n' });
    expect(parse('\ufeff{"a":1}')).toEqual({ a: 1 });
  });

  it('refuses keys that name the prototype, written plainly or escaped', () => {
    for (const text of [
      '{"__proto__":{"isAdmin":true}}',
      '{"a":{"constructor":{"prototype":{"isAdmin":true}}}}',
      '{"\\u005f_proto__":{"isAdmin":true}}',
      '{"constructo\\u0072":{"prototype":{}}}',
    ]) {
      expect(refusal(text).statusCode, text).toBe(400);
    }
    // As values they are just text.
    expect(parse('{"summary":"__proto__ and constructor"}')).toEqual({ summary: '__proto__ and constructor' });
  });

  it('refuses text the database cannot store, however it is nested', () => {
    expect(refusal('{"labels":{"a":"x\\u0000y"}}').message).toContain('labels.a contains a NUL character');
    expect(refusal('{"alerts":[{"b":"\\ud800"}]}').message).toContain('alerts[0].b contains a lone UTF-16 surrogate');
  });

  it('refuses what is not JSON or not UTF-8', () => {
    expect(refusal('{"a":1,}').code).toBe('FST_ERR_CTP_INVALID_JSON_BODY');
    expect(() => parseJsonBody(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]))).toThrow(/UTF-8/);
  });
});
