// --tls and the default TLS mode by port (RFC 8314 §3.3: 465 is implicit TLS).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkOptions, UsageError, type RawOptions } from '../../src/cli/options.ts';
import { defaultTlsMode, greetingTimeoutHint } from '../../src/probe/probe-address.ts';
import { StageError } from '../../src/smtp/connection.ts';

const DEFAULTS: RawOptions = { port: '25', timeout: '30', connectTimeout: '10', dnsTimeout: '3', require: 'encrypt', deepDelay: '0', profile: 'ncsc', warnDays: '30', format: 'text', color: true, concurrency: '32', perHost: '2', retries: '1', retryDelay: '1' };

test('the default mode: implicit TLS on 465, STARTTLS elsewhere', () => {
  assert.equal(defaultTlsMode(465), 'implicit');
  for (const port of [25, 587, 2525, 4650]) assert.equal(defaultTlsMode(port), 'starttls');
});

test('--tls: starttls or implicit; absent means by the port', () => {
  assert.equal(checkOptions(['a.example'], DEFAULTS).tlsMode, null);
  assert.equal(checkOptions(['a.example'], { ...DEFAULTS, tls: 'implicit' }).tlsMode, 'implicit');
  assert.equal(checkOptions([], { ...DEFAULTS, server: 'mx.example:465', tls: 'starttls' }).tlsMode, 'starttls');
  for (const bad of ['', 'smtps', 'IMPLICIT', 'tls']) {
    assert.throws(() => checkOptions(['a.example'], { ...DEFAULTS, tls: bad }), (err: unknown) => err instanceof UsageError && /--tls must be starttls or implicit/.test(err.message));
  }
});

test('a greeting timeout on port 465 suggests implicit TLS; on other ports, and other failures, nothing changes', () => {
  const timeout = new StageError('timeout', 'timeout while reading server greeting');
  const hinted = greetingTimeoutHint(465, timeout) as StageError;
  assert.equal(hinted.kind, 'timeout');
  assert.equal(hinted.message, 'timeout while reading server greeting (port 465 usually speaks implicit TLS: --tls implicit)');
  assert.equal(greetingTimeoutHint(25, timeout), timeout);
  const refused = new StageError('rejected', 'server refused the session with 554');
  assert.equal(greetingTimeoutHint(465, refused), refused);
});
