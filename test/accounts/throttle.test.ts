import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addressKey } from '../../src/accounts/index.ts';

const group = fc.integer({ min: 0, max: 0xffff });
const groups = (n: number) => fc.array(group, { minLength: n, maxLength: n });
/** An IPv6 address written out in full, or with its longest run of zeros as "::" the way Node prints it. */
const written = (parts: number[], compress: boolean) => {
  const full = parts.map((p) => p.toString(16)).join(':');
  return compress ? full.replace(/(^|:)0(:0)+(:|$)/, '::') : full;
};

describe('the address a password attempt is counted under', () => {
  it.each([
    ['192.0.2.7', '192.0.2.7'],
    ['::ffff:192.0.2.7', '192.0.2.7'],
    ['2001:db8:aa:bb::1', '2001:db8:aa:bb::/64'],
    ['2001:0db8:00aa:00bb:ffff:1:2:3', '2001:db8:aa:bb::/64'],
    ['2001:DB8:AA:BB:0:0:0:9', '2001:db8:aa:bb::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['64:ff9b::192.0.2.1', '64:ff9b:0:0::/64'],
    ['not an address', 'not an address'],
  ])('%s → %s', (address, key) => {
    expect(addressKey(address)).toBe(key);
  });

  it('puts every address of one /64 under one key however it is written, and another /64 under another', () => {
    fc.assert(
      fc.property(groups(4), groups(4), groups(4), groups(4), fc.boolean(), fc.boolean(), (network, hostA, hostB, otherNetwork, compressA, compressB) => {
        const a = addressKey(written([...network, ...hostA], compressA));
        expect(a).toBe(`${network.map((p) => p.toString(16)).join(':')}::/64`);
        expect(addressKey(written([...network, ...hostB], compressB))).toBe(a);
        if (otherNetwork.some((p, i) => p !== network[i])) expect(addressKey(written([...otherNetwork, ...hostA], compressA))).not.toBe(a);
      }),
    );
  });

  it('never throws, whatever a proxy puts in X-Forwarded-For', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.ipV6(), fc.ipV4()), (text) => typeof addressKey(text) === 'string'));
  });
});
