import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMasker, MASK, secretForms } from '../../src/runbooks/mask.ts';
import { MAX_OUTPUT_CHUNK_CHARS, MAX_OUTPUT_CHUNKS_PER_REPORT, type OutputReport } from '../../src/runbooks/protocol.ts';
import { StepOutput, StreamBuffer, splitText } from '../../src/runner/output.ts';
import { TransportError } from '../../src/runner/index.ts';

/** Few distinct characters, newlines and multibyte ones among them, so that values repeat and overlap. */
const chars = fc.constantFrom('a', 'b', ' ', '\n', '!', 'é', '😀');
const bufferFor = (secrets: string[]) => new StreamBuffer(createMasker(secrets), secretForms(secrets));

describe('StreamBuffer', () => {
  it('keeps multibyte characters whole when their bytes arrive apart', () => {
    const buffer = bufferFor([]);
    const bytes = Buffer.from('é€😀 done\n');
    let text = '';
    for (const byte of bytes) {
      buffer.write(Buffer.from([byte]));
      text += buffer.take('tick');
    }
    expect(text + buffer.take('final')).toBe('é€😀 done\n');
  });

  it('sends whole lines, and a partial line once the process is quiet', () => {
    const buffer = bufferFor([]);
    buffer.write('one\ntwo\nthr');
    expect(buffer.take('tick')).toBe('one\ntwo\n');
    expect(buffer.take('tick')).toBe('thr');
  });

  it('keeps a half-written secret until it is whole', () => {
    const buffer = bufferFor(['hunter2-secret']);
    buffer.write('password is hunt');
    let sent = buffer.take('tick');
    sent += buffer.take('tick');
    sent += buffer.take('tick');
    expect(sent).toBe('password is ');
    buffer.write('er2-secret, ok\n');
    sent += buffer.take('tick');
    expect(sent).toBe(`password is ${MASK}, ok\n`);
  });

  it('keeps a private key masked when a flush cuts it in two', () => {
    const buffer = bufferFor([]);
    buffer.write('key:\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n');
    let sent = buffer.take('tick');
    buffer.write('oAoGCCqG\n-----END EC PRIVATE KEY-----\nafter\n');
    sent += buffer.take('tick');
    expect(sent).not.toMatch(/MHcCAQEE|oAoGCCqG/);
    expect(sent.endsWith('-----END EC PRIVATE KEY-----\nafter\n')).toBe(true);
  });

  it('never lets a secret through, however the output is cut', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 4, maxLength: 30, unit: chars }).filter((value) => value.trim() === value),
        fc.string({ maxLength: 100, unit: chars }),
        fc.string({ maxLength: 100, unit: chars }),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom('tick', 'size', 'none') as fc.Arbitrary<'tick' | 'size' | 'none'>), { maxLength: 12 }),
        (secret, before, after, cuts) => {
          const bytes = Buffer.from(`${before}${secret}${after}`);
          const buffer = bufferFor([secret]);
          let sent = '';
          let offset = 0;
          for (const [size, mode] of cuts) {
            const end = Math.min(bytes.length, offset + (size % 16));
            buffer.write(bytes.subarray(offset, end));
            offset = end;
            if (mode !== 'none') sent += buffer.take(mode);
          }
          buffer.write(bytes.subarray(offset));
          sent += buffer.take('final');
          expect(sent.includes(secret)).toBe(false);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('passes text without secrets through unchanged, however it is cut', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.stringMatching(/^[a-d0-9 \n]{0,20}$/), fc.constantFrom('tick', 'size', 'none') as fc.Arbitrary<'tick' | 'size' | 'none'>)), (pieces) => {
        const buffer = bufferFor(['hunter2']);
        let sent = '';
        for (const [text, mode] of pieces) {
          buffer.write(Buffer.from(text));
          if (mode !== 'none') sent += buffer.take(mode);
        }
        sent += buffer.take('final');
        expect(sent).toBe(pieces.map(([text]) => text).join(''));
      }),
    );
  });
});

describe('splitText', () => {
  it('never splits a surrogate pair', () => {
    const parts = splitText('a😀😀', 2);
    expect(parts).toEqual(['a', '😀', '😀']);
    expect(splitText('x'.repeat(5), 2)).toEqual(['xx', 'xx', 'x']);
  });
});

describe('StepOutput', () => {
  it('numbers chunks without gaps, keeps reports within the limits and resends a failed report unchanged', async () => {
    const attempts: Array<{ report: OutputReport; ok: boolean }> = [];
    let calls = 0;
    const output = new StepOutput({
      masker: createMasker([]),
      secrets: [],
      send: async (report) => {
        calls += 1;
        const ok = calls % 3 !== 1;
        attempts.push({ report: structuredClone(report), ok });
        if (!ok) throw new TransportError('503');
        return { cancel: false, leaseUntil: 0 };
      },
      retry: { backoff: { initialMs: 1, maxMs: 2 } },
      onReply: () => {},
      onFinalError: () => {},
    });
    const line = `${'x'.repeat(1000)}\n`;
    for (let i = 0; i < 20_000; i += 1) output.write(i % 2 === 0 ? 'stdout' : 'stderr', line);
    const lastSeq = await output.end();
    const accepted = attempts.filter((attempt) => attempt.ok).flatMap((attempt) => attempt.report.chunks);
    expect(accepted.map((chunk) => chunk.seq)).toEqual(Array.from({ length: lastSeq }, (_, index) => index + 1));
    expect(accepted.reduce((sum, chunk) => sum + chunk.text.length, 0)).toBe(20_000 * line.length);
    for (const attempt of attempts) {
      expect(attempt.report.chunks.length).toBeLessThanOrEqual(MAX_OUTPUT_CHUNKS_PER_REPORT);
      for (const chunk of attempt.report.chunks) expect(chunk.text.length).toBeLessThanOrEqual(MAX_OUTPUT_CHUNK_CHARS);
    }
    attempts.forEach((attempt, index) => {
      if (!attempt.ok) expect(attempts[index + 1]?.report).toEqual(attempt.report);
    });
  });
});
