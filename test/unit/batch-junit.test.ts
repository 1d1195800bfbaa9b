import { test } from 'node:test';
import assert from 'node:assert/strict';
import { junitReport, xmlAttr, xmlText } from '../../src/render/junit.ts';
import { addressFacts, domainFacts, mxHost, NOW } from '../helpers/facts.ts';
import { goodResult, invalidResult, mixedResult, undeterminedResult } from '../helpers/batch.ts';
import { findAll, parseXml } from '../helpers/mini-xml.ts';
import { judgeDomain } from '../../src/judge/judge-domain.ts';
import { SENDER_POLICIES } from '../../src/judge/sender-policies.ts';

const OPTIONS = { name: 'mxprobe', timestamp: NOW, durationMs: 65_432 };
const HOSTILE = `a]]>b&c<d>"e'f\u0000g\u001bh\ud800i\ufffej\u202ek`;

function hostileResult() {
  // A server whose banner, failure and host name carry every character XML or a terminal minds.
  const facts = domainFacts({
    domain: 'hostile.example',
    input: 'hostile.example',
    mx: [
      mxHost(`mx.hostile.example`, 10, [
        addressFacts({
          ip: '192.0.2.66',
          connected: true,
          banner: { code: 554, lines: [HOSTILE] },
          ehlo: null,
          starttls: false,
          starttlsReply: null,
          tls: null,
          ehloTls: null,
          certificate: null,
          failure: { stage: 'banner', kind: 'rejected', message: `greeting refused: 554 ${HOSTILE}` },
        }),
      ]),
    ],
  });
  return { ...judgeDomain(facts, { required: ['verify'], warnDays: 30 }, NOW), source: { line: 9, columns: { partner: HOSTILE, '=x': 'y' } } };
}

test('the report parses back as XML with the right counts', () => {
  const results = [goodResult(), mixedResult({ partner: 'Acme' }), undeterminedResult(), invalidResult('bad..name', '"bad..name" is not a valid domain name'), hostileResult()];
  const xml = junitReport(results, OPTIONS);
  assert.ok(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites'));
  const root = parseXml(xml);
  assert.equal(root.name, 'testsuites');
  const suites = findAll(root, 'testsuite');
  assert.equal(suites.length, 1);
  const suite = suites[0];
  assert.ok(suite);
  assert.deepEqual(
    { ...suite.attrs },
    { name: 'mxprobe', tests: '5', failures: '2', errors: '2', skipped: '0', time: '65.432', timestamp: '2026-06-01T12:00:00' },
  );
  assert.equal(root.attrs.tests, '5');
  const cases = findAll(suite, 'testcase');
  assert.deepEqual(
    cases.map((c) => [c.attrs.classname, c.attrs.name, c.children.map((e) => `${e.name}:${e.attrs.type ?? ''}`).join(' ')]),
    [
      ['mxprobe', 'example.com', 'system-out:'],
      ['mxprobe', 'partner.example', 'failure:BELOW_REQUIRED system-out:'],
      ['mxprobe', 'flaky.example', 'error:UNDETERMINED system-out:'],
      ['mxprobe', 'bad..name', 'failure:INVALID_INPUT system-out:'],
      ['mxprobe', 'hostile.example', 'error:UNDETERMINED system-out:'],
    ],
  );
  const failure = findAll(cases[1] ?? root, 'failure')[0];
  assert.equal(failure?.attrs.message, 'level none below required encrypt: STARTTLS_NOT_OFFERED; CERT_EXPIRED');
  assert.match(failure?.text ?? '', /^ERROR STARTTLS_NOT_OFFERED mx2\.partner\.example \[2001:db8::25\]: .*\n {2}fix: /);
  assert.equal(findAll(cases[2] ?? root, 'error')[0]?.attrs.message, 'level undetermined (dns-failure), required encrypt: DNS_FAILURE');
  assert.match(findAll(cases[3] ?? root, 'failure')[0]?.attrs.message ?? '', /^invalid input: Line 5: "bad\.\.name" is not a valid domain name/);
  assert.match(findAll(cases[1] ?? root, 'system-out')[0]?.text ?? '', /input line 3: partner=Acme\nMX 10 mx1\.partner\.example\n {2}198\.51\.100\.7: encrypt, TLSv1\.2/);
});

test('hostile server and input text is sanitised and escaped, never breaking the XML', () => {
  const xml = junitReport([hostileResult(), invalidResult(HOSTILE, `${JSON.stringify(HOSTILE)} is not a valid domain name`)], { ...OPTIONS, name: `suite ${HOSTILE}` });
  const root = parseXml(xml); // throws on anything not well-formed
  assert.doesNotMatch(xml, /]]>|\u0000|\u001b|\u202e/);
  const cases = findAll(root, 'testcase');
  // Control and bidi characters are shown escaped; XML-special ones come back exactly.
  assert.equal(cases[1]?.attrs.name, 'a]]>b&c<d>"e\'f\\x00g\\x1bh\ud800i\ufffej\\u202ek'.replace('\ud800', '').replace('\ufffe', ''));
  assert.equal(findAll(root, 'testsuite')[0]?.attrs.name?.startsWith('suite a]]>b&c<d>"e\'f\\x00g'), true);
  const out = findAll(cases[0] ?? root, 'system-out')[0]?.text ?? '';
  assert.match(out, /partner=a]]>b&c<d>"e'f\\x00g\\x1bh/);
  assert.match(out, /=x=y/);
  // Refused at the greeting: nothing reachable, so undetermined; the server's text is in the problem.
  const error = findAll(cases[0] ?? root, 'error')[0];
  assert.match(error?.text ?? '', /SMTP_REJECTED .*554 a]]>b&c<d>"e'f\\x00g\\x1bh/);
  assert.doesNotMatch(error?.text ?? '', /[\u0000-\u0008\u000b-\u001f]/);
});

test('xmlText and xmlAttr escape what they must and drop what XML 1.0 forbids', () => {
  assert.equal(xmlText('a&b<c>d]]>e\u0000f\u0008g\u000bh\u001fi\tj\nk\rl\ufffem\uffffn'), 'a&amp;b&lt;c&gt;d]]&gt;efghi\tj\nk&#13;lmn');
  assert.equal(xmlAttr(`"'\t\n\r&`), '&quot;&apos;&#9;&#10;&#13;&amp;');
  assert.equal(xmlText('\ud83d\ude00 ok \udc00 \ud800'), '\ud83d\ude00 ok  ');
  const root = parseXml(`<a v="${xmlAttr('x\ty\nz')}">${xmlText('1\r\n2')}</a>`);
  assert.equal(root.attrs.v, 'x\ty\nz');
  assert.equal(root.text, '1\r\n2');
});

test('the mini parser rejects what is not well-formed', () => {
  for (const bad of ['<a>&</a>', '<a>]]></a>', '<a b="<"/>', '<a b=1/>', '<a b="1" b="2"/>', '<a><b></a></b>', '<a>', '<a/><b/>', '<a>\u0001</a>', 'x<a/>', '<a>&#0;</a>']) {
    assert.throws(() => parseXml(bad), Error, bad);
  }
  assert.equal(parseXml('<?xml version="1.0" encoding="UTF-8"?>\n<a x=\'1\'>&lt;&#x41;&#66;</a>\n').text, '<AB');
});

test('an empty batch is a valid empty suite', () => {
  const root = parseXml(junitReport([], OPTIONS));
  assert.equal(findAll(root, 'testsuite')[0]?.attrs.tests, '0');
  assert.equal(findAll(root, 'testcase').length, 0);
});

test('JUnit and the generic problem text name no host for a domain-level problem', () => {
  const noMail = judgeDomain(domainFacts({ domain: 'gone.example', input: 'gone.example', outcome: 'null-mx', mx: [] }), { required: ['plain'], warnDays: 30 }, NOW);
  const failure = findAll(parseXml(junitReport([noMail], OPTIONS)), 'failure')[0];
  assert.equal(failure?.attrs.message, 'no mail accepted (null-mx) below required none: NULL_MX');
  assert.match(failure?.text ?? '', /^ERROR NULL_MX: /);
});

test('system-out has a line per sender policy of the table, the required one marked', () => {
  const xml = junitReport([goodResult(), mixedResult(), invalidResult('bad..name', 'x')], OPTIONS);
  const cases = findAll(parseXml(xml), 'testcase');
  const lines = (i: number) => (findAll(cases[i]!, 'system-out')[0]?.text ?? '').split('\n').filter((l) => l.startsWith('policy '));
  assert.deepEqual(lines(0), [
    'policy (a) plain (no TLS): delivered yes, encrypted no, authenticated no; satisfied',
    'policy (b) TLS if offered: delivered yes, encrypted yes, authenticated no; satisfied',
    'policy (c) TLS required: delivered yes, encrypted yes, authenticated no; required, satisfied',
    'policy (d) TLS required, name verified: delivered yes, encrypted yes, authenticated yes; satisfied',
    // Facts gathered without DNSSEC and MTA-STS (the builders'): what a DANE or MTA-STS sender does is not known.
    'policy (e) DANE enforced: delivered unknown, encrypted unknown, authenticated unknown; undetermined',
    'policy (f) MTA-STS enforced: delivered unknown, encrypted unknown, authenticated unknown; undetermined',
  ]);
  assert.deepEqual(lines(1).map((l) => l.slice(0, 10)), SENDER_POLICIES.map((p) => `policy (${p.letter})`));
  assert.match(lines(1)[2] ?? '', /delivered partly, .*; required, not satisfied$/);
  assert.deepEqual(lines(2), [], 'an input row that is not a domain has no policies to show');
});
