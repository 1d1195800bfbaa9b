// ipFamily (src/input/ip-family.ts) tells IP addresses from names as net.isIP does, while
// keeping text that cannot be IPv6 away from Node's costly IPv6 regex: the two must agree on
// every input, the hand-picked edge cases and a seeded fuzz over the characters addresses use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import { ipFamily } from '../../src/input/ip-family.ts';

const CASES = [
  '', ':', '::', ':::', '::1', '1::', '::ffff:192.0.2.1', '::192.0.2.1', '2001:db8::1', '2001:DB8:0:0:0:0:0:1',
  '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:192.0.2.1', 'fe80::1%eth0', 'fe80::1%', '%eth0', '1:2',
  '192.0.2.1', '192.0.2.1:25', '192.0.2', '192.0.2.256', '01.2.3.4', '0.0.0.0', '255.255.255.255', '1.2.3.4.',
  'mx.example.com', 'mx.example.com:2525', '[2001:db8::1]', '[2001:db8::1]:25', 'a:b', 'dead:beef', 'g::1', ' ::1', '::1 ',
];

test('ipFamily agrees with net.isIP on edge cases', () => {
  for (const text of CASES) assert.equal(ipFamily(text), isIP(text), JSON.stringify(text));
});

test('ipFamily agrees with net.isIP on 20,000 seeded random strings of address characters', () => {
  let seed = 11;
  const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
  const alphabet = '0123456789abcdefABCDEF:.%:::..g';
  let sixes = 0;
  for (let i = 0; i < 20_000; i++) {
    const length = 1 + Math.floor(random() * 20);
    let text = '';
    for (let j = 0; j < length; j++) text += alphabet[Math.floor(random() * alphabet.length)];
    const family = isIP(text);
    if (family === 6) sixes++;
    assert.equal(ipFamily(text), family, JSON.stringify(text));
  }
  assert.ok(sixes > 50, `the fuzz reaches IPv6 addresses (${sixes})`);
});
