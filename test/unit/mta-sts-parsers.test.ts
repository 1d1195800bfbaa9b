// The pure MTA-STS and TLS-RPT readers as tables: the `_mta-sts` TXT record (RFC 8461 §3.1),
// the policy text (§3.2, the RFC's own examples included), MX patterns and their matching
// (§3.2, §4.1), and the `_smtp._tls` record (RFC 8460 §3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStsRecord } from '../../src/mta-sts/record.ts';
import { parsePolicy } from '../../src/mta-sts/policy.ts';
import { parseTlsRpt, tlsRptFacts } from '../../src/mta-sts/tls-rpt.ts';
import { matchingPattern, mxMatches, mxPatternError } from '../../src/rules/mx-pattern.ts';
import { mtaStsFacts } from '../../src/mta-sts/facts.ts';

test('the _mta-sts record: valid ones (RFC 8461 §3.1 example, extensions, split strings, other TXT records beside it)', () => {
  const cases: Array<[Array<string | string[]>, string]> = [
    [['v=STSv1; id=20160831085700Z;'], '20160831085700Z'], // RFC 8461 §3.1
    [['v=STSv1; id=20160831085700Z'], '20160831085700Z'],
    [['v=STSv1;id=abc'], 'abc'],
    [['v=STSv1 ;\tid=abc ; '], 'abc'],
    [['v=STSv1; ext.a_b-c=x!y; id=A1'], 'A1'],
    [[['v=STSv1; ', 'id=split']], 'split'],
    [['v=spf1 -all', 'google-site-verification=xyz', 'v=STSv1; id=1'], '1'],
    [[`v=STSv1; id=${'a'.repeat(32)}`], 'a'.repeat(32)],
  ];
  for (const [txt, id] of cases) {
    const r = parseStsRecord(txt);
    assert.equal(r.status, 'valid', JSON.stringify(txt) + JSON.stringify(r));
    assert.equal(r.status === 'valid' && r.id, id);
  }
  const dup = parseStsRecord(['v=STSv1; id=first; id=second']);
  assert.ok(dup.status === 'valid' && dup.id === 'first' && dup.duplicates.includes('id'), 'a field given twice counts by its first value');
});

test('the _mta-sts record: none, and each way of being invalid with its own reason', () => {
  assert.deepEqual(parseStsRecord([]), { status: 'none' });
  assert.deepEqual(parseStsRecord(['v=spf1 -all', 'v=STSv10; id=1']), { status: 'none' }, 'records not starting with v=STSv1 are ignored');
  const invalid: Array<[string[], RegExp]> = [
    [['v=STSv1; id=1', 'v=STSv1; id=2'], /2 TXT records start with "v=STSv1"; there must be exactly one/],
    [['v=STSv1'], /no id field/],
    [['v=STSv1;'], /no id field/],
    [['v=STSv1; id='], /the id "" is not 1 to 32 letters and digits/],
    [[`v=STSv1; id=${'a'.repeat(33)}`], /is not 1 to 32 letters and digits/],
    [['v=STSv1; id=2016-08-31'], /the id "2016-08-31" is not/],
    [['v=STSv1; id=abc def'], /the id "abc def" is not/],
    [['v=STSv1;; id=1'], /field 2 is empty/],
    [['v=STSv1; id'], /field 2 \("id"\) is not name=value/],
    [['v=STSv1; id=1; =x'], /is not name=value/],
    [['v=STSv1; id=1; bad name=x'], /field name "bad name" is not a valid name/],
    [['v=STSv1; id=1; ext=a=b'], /value of "ext" is empty or holds/],
    [['V=stsv1; id=1'], /the version is case-sensitive/],
    [['v=STSv1; id=1\u001b[2J'], /the id "1\\x1b\[2J" is not/],
  ];
  for (const [txt, reason] of invalid) {
    const r = parseStsRecord(txt);
    assert.equal(r.status, 'invalid', JSON.stringify(txt));
    assert.match(r.status === 'invalid' ? r.errors.join(' | ') : '', reason, JSON.stringify(txt));
  }
});

const RFC_EXAMPLE = 'version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\nmx: backupmx.example.com\nmax_age: 604800\n';

test('the policy: the RFC 8461 §3.2 example, with LF and with CRLF, with and without a final line end', () => {
  const expected = { version: 'STSv1', mode: 'enforce', mx: ['mail.example.com', '*.example.net', 'backupmx.example.com'], maxAge: 604800 };
  for (const text of [RFC_EXAMPLE, RFC_EXAMPLE.replace(/\n/g, '\r\n'), RFC_EXAMPLE.trimEnd(), RFC_EXAMPLE.replace(/\n/g, '\r\n').trimEnd()]) {
    const r = parsePolicy(text);
    assert.deepEqual(r.errors, [], JSON.stringify(text));
    assert.deepEqual(r.policy, expected);
    assert.deepEqual(r.unknownKeys, []);
  }
});

test('the policy: other valid texts (testing, none without mx, max_age bounds, spaces after the colon and at line ends, blank lines, unknown keys kept apart)', () => {
  const valid: Array<[string, Partial<{ mode: string; mx: string[]; maxAge: number }>]> = [
    ['version: STSv1\nmode: testing\nmx: mx.example.com\nmax_age: 86400\n', { mode: 'testing' }],
    ['version: STSv1\nmode: none\nmax_age: 0\n', { mode: 'none', mx: [], maxAge: 0 }],
    ['version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 31557600\n', { maxAge: 31557600 }],
    ['version:STSv1\nmode:\tenforce \nmx:   mx.example.com\t\nmax_age: 0000000001\n', { mode: 'enforce', maxAge: 1 }],
    ['\nversion: STSv1\n\nmode: enforce\nmx: MX.Example.COM.\nmax_age: 60\n\n', { mx: ['MX.Example.COM.'] }],
    ['version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 60\nrenewal: weekly, ask ops@example.com\n', { mode: 'enforce' }],
  ];
  for (const [text, want] of valid) {
    const r = parsePolicy(text);
    assert.deepEqual(r.errors, [], text);
    for (const [k, v] of Object.entries(want)) assert.deepEqual((r.policy as unknown as Record<string, unknown>)[k], v, `${k} of ${JSON.stringify(text)}`);
  }
  assert.deepEqual(parsePolicy(valid[5]![0]).unknownKeys, [{ key: 'renewal', line: 5, suggestion: null }]);
});

test('the policy: each way of being invalid gives its reason (a typo never drops the MX list in silence)', () => {
  const base = { version: 'version: STSv1', mode: 'mode: enforce', mx: 'mx: mx.example.com', age: 'max_age: 86400' };
  const text = (over: Partial<typeof base> & { extra?: string }) => {
    const b = { ...base, ...over };
    return [b.version, b.mode, b.mx, b.age, over.extra].filter((l) => l !== undefined && l !== '').join('\n');
  };
  const invalid: Array<[string, RegExp]> = [
    [text({ version: '' }), /there is no version line/],
    [text({ version: 'version: STSv2' }), /the version is "STSv2", not "STSv1"/],
    [text({ version: 'version: stsv1' }), /the version is "stsv1"/],
    [text({ mode: '' }), /there is no mode line/],
    [text({ mode: 'mode: Enforce' }), /the mode is "Enforce", not enforce, testing or none/],
    [text({ mode: 'mode: report' }), /the mode is "report"/],
    [text({ age: '' }), /there is no max_age line/],
    [text({ age: 'max_age: 31557601' }), /max_age 31557601 is over 31557600 seconds/],
    [text({ age: 'max_age: -1' }), /max_age "-1" is not a whole number/],
    [text({ age: 'max_age: 1.5' }), /max_age "1\.5" is not a whole number/],
    [text({ age: 'max_age: 12345678901' }), /max_age "12345678901" is not a whole number of seconds \(1 to 10 digits\)/],
    [text({ age: 'max_age: ' }), /max_age "" is not/],
    [text({ mx: '' }), /the mode is enforce but there is no mx line: senders discard the policy/],
    [text({ mx: 'nmx: mx.example.com' }), /no mx line \("nmx" on line 3 is not "mx"\)/],
    [text({ mx: 'MX: mx.example.com' }), /no mx line \("MX" on line 3 is not "mx"\)/],
    [text({ mode: 'mode: testing', mx: '' }), /the mode is testing but there is no mx line/],
    [text({ mx: 'mx: 192.0.2.1' }), /line 3: the mx pattern "192\.0\.2\.1" is not valid: an IP address is not allowed/],
    [text({ mx: 'mx: [192.0.2.1]' }), /an IP address is not allowed/],
    [text({ mx: 'mx: 2001:db8::25' }), /an IP address is not allowed/],
    [text({ mx: 'mx: mx*.example.com' }), /a wildcard is allowed only as the whole left-most label/],
    [text({ mx: 'mx: mail.*.example.com' }), /a wildcard is allowed only as the whole left-most label/],
    [text({ mx: 'mx: *.com' }), /a wildcard needs a parent name of at least two labels/],
    [text({ mx: 'mx: ' }), /the pattern is empty/],
    [text({ mx: 'mx: mx..example.com' }), /empty label/],
    [text({ mx: 'mx: mx_1.example.com' }), /letters, digits and inner hyphens/],
    [text({ mx: 'mx: -mx.example.com' }), /letters, digits and inner hyphens/],
    [text({ mx: 'mx: mx.exämple.com' }), /A-labels/],
    [text({ mode: 'mode : enforce' }), /line 2: "mode " is not a key .*did you mean "mode"\?/],
    [text({ mode: ' mode: enforce' }), /line 2: " mode" is not a key/],
    [text({ extra: 'just words' }), /line 5 \("just words"\) is not "key: value"/],
    [text({ extra: 'x: a\rb' }), /line 5 holds a carriage return that does not end it/],
    [text({ extra: 'note: \u0007' }), /the value of "note" is empty or holds a control character/],
    ['\ufeffversion: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 1', /line 1: "\\ufeffversion" is not a key/],
    ['', /there is no version line/],
  ];
  for (const [t, reason] of invalid) {
    const r = parsePolicy(t);
    assert.equal(r.policy, null, JSON.stringify(t));
    assert.match(r.errors.join(' | '), reason, JSON.stringify(t));
  }
});

test('the policy: unknown keys are named with the key they likely stand for; fields given twice count by the first (only mx repeats)', () => {
  const r = parsePolicy('version: STSv1\nmode: testing\nmode: enforce\nmx: a.example.com\nnmx: b.example.com\nMode: none\nmax-age: 5\nmax_age: 86400\nmx: b.example.com\n');
  assert.equal(r.policy?.mode, 'testing');
  assert.deepEqual(r.policy?.mx, ['a.example.com', 'b.example.com']);
  assert.deepEqual(r.duplicates, [{ key: 'mode', line: 3 }]);
  assert.deepEqual(r.unknownKeys, [
    { key: 'nmx', line: 5, suggestion: 'mx' },
    { key: 'Mode', line: 6, suggestion: 'mode' },
    { key: 'max-age', line: 7, suggestion: 'max_age' },
  ]);
});

test('MX patterns: valid ones, and matching (exactly one label for *., case-insensitive, trailing dots)', () => {
  for (const p of ['mx.example.com', 'MX.EXAMPLE.COM.', '*.example.com', '*.example.com.', 'a-b.c1.example', 'xn--bcher-kva.example']) assert.equal(mxPatternError(p), null, p);
  const table: Array<[string, string, boolean]> = [
    ['mail.example.com', 'mail.example.com', true],
    ['MAIL.Example.com', 'mail.EXAMPLE.com', true],
    ['mail.example.com.', 'mail.example.com', true],
    ['mail.example.com', 'mail.example.com.', true],
    ['mx1.example.net', '*.example.net', true],
    ['MX1.EXAMPLE.NET.', '*.example.net.', true],
    ['example.net', '*.example.net', false],
    ['a.b.example.net', '*.example.net', false],
    ['.example.net', '*.example.net', false],
    ['mx1.example.net.evil.test', '*.example.net', false],
    ['mx1example.net', '*.example.net', false],
    ['mail.example.com', 'example.com', false],
    ['mail.example.com', 'ail.example.com', false],
    ['*.example.net', '*.example.net', true],
    ['', '*.example.net', false],
    ['mail.example.com', '', false],
  ];
  for (const [host, pattern, want] of table) assert.equal(mxMatches(host, pattern), want, `${host} ~ ${pattern}`);
  assert.equal(matchingPattern('backupmx.example.com', ['mail.example.com', '*.example.net', 'backupmx.example.com']), 'backupmx.example.com');
  assert.equal(matchingPattern('x.y.example.net', ['*.example.net']), null);
});

test('the TLS reporting record: valid ones (RFC 8460 §3 examples) and where reports go', () => {
  const valid: Array<[string[], string[]]> = [
    [['v=TLSRPTv1;rua=mailto:reports@example.com'], ['mailto:reports@example.com']],
    [['v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt'], ['https://reporting.example.com/v1/tlsrpt']],
    [['v=TLSRPTv1; rua=mailto:a@example.com, https://r.example.com/x ;'], ['mailto:a@example.com', 'https://r.example.com/x']],
    [['v=spf1 -all', 'v=TLSRPTv1; rua=mailto:tls+rpt@example.com; ext=1'], ['mailto:tls+rpt@example.com']],
    [['v=TLSRPTv1; rua=MAILTO:a@example.com'], ['MAILTO:a@example.com']],
  ];
  for (const [txt, rua] of valid) {
    const r = parseTlsRpt(txt);
    assert.equal(r.status, 'valid', JSON.stringify(txt) + JSON.stringify(r));
    assert.deepEqual(r.status === 'valid' && r.rua, rua);
  }
  assert.deepEqual(parseTlsRpt([]), { status: 'none' });
  assert.deepEqual(parseTlsRpt(['v=TLSRPTv10; rua=mailto:a@example.com', 'v=STSv1; id=1']), { status: 'none' });
});

test('the TLS reporting record: each way of being invalid with its reason', () => {
  const invalid: Array<[string[], RegExp]> = [
    [['v=TLSRPTv1; rua=mailto:a@example.com', 'v=TLSRPTv1; rua=mailto:b@example.com'], /2 TXT records start with "v=TLSRPTv1"/],
    [['v=TLSRPTv1'], /no rua field/],
    [['v=TLSRPTv1; ruf=mailto:a@example.com'], /no rua field/],
    [['v=TLSRPTv1; rua='], /a URI is empty/],
    [['v=TLSRPTv1; rua=mailto:a@example.com,'], /a URI is empty/],
    [['v=TLSRPTv1; rua=ftp://example.com/r'], /"ftp:\/\/example\.com\/r" is neither a mailto: nor an https: URI/],
    [['v=TLSRPTv1; rua=http://example.com/r'], /is neither a mailto: nor an https: URI/],
    [['v=TLSRPTv1; rua=reports@example.com'], /is neither a mailto: nor an https: URI/],
    [['v=TLSRPTv1; rua=mailto:reports'], /"mailto:reports" is not a mailto: URI with one address/],
    [['v=TLSRPTv1; rua=https://'], /is not a valid https: URI|has no host/],
    [['v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com'], /rua field is given twice/],
    [['v=TLSRPTv1;; rua=mailto:a@example.com'], /field 2 is empty/],
  ];
  for (const [txt, reason] of invalid) {
    const r = parseTlsRpt(txt);
    assert.equal(r.status, 'invalid', JSON.stringify(txt));
    assert.match(r.status === 'invalid' ? r.errors.join(' | ') : '', reason, JSON.stringify(txt));
  }
  assert.deepEqual(tlsRptFacts(null), { txt: null, record: null, rua: [], error: null });
  assert.deepEqual(tlsRptFacts([['v=TLSRPTv1; ', 'rua=mailto:a@example.com']]).rua, ['mailto:a@example.com']);
  assert.match(tlsRptFacts(['v=TLSRPTv1']).error ?? '', /no rua field/);
});

test('mtaStsFacts: what the records and the fetch say', () => {
  const fetched = (body: string | null, failure: { kind: 'status'; message: string } | null = null) => ({
    url: 'https://mta-sts.example.com/.well-known/mta-sts.txt', status: 200, contentType: 'text/plain', location: null, bytes: 0, body, ms: 1, failure,
  });
  assert.equal(mtaStsFacts('example.com', null, null).error, 'the TXT look-up of _mta-sts.example.com failed');
  assert.deepEqual(mtaStsFacts('example.com', [], null), { txt: [], record: null, id: null, fetch: null, policy: null, error: null });
  assert.match(mtaStsFacts('example.com', ['v=STSv1'], null).error ?? '', /no id field/);
  const good = mtaStsFacts('example.com', ['v=STSv1; id=7'], fetched(RFC_EXAMPLE));
  assert.equal(good.id, '7');
  assert.equal(good.policy?.mode, 'enforce');
  assert.equal(good.error, null);
  assert.match(mtaStsFacts('example.com', ['v=STSv1; id=7'], fetched(null, { kind: 'status', message: 'answered 404' })).error ?? '', /answered 404/);
});
