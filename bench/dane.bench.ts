// Benchmark part of `npm run bench` (run by bench/probe.bench.ts): one DANE + MTA-STS domain,
// the whole CLI against Postfix's own DANE client on the same loopback target (issue 9).
//
//   d.test (in the DNSSEC lab's signed `test.` zone, test/helpers/dnssec-lab.ts):
//     d.test MX 10 mx.test;  mx.test A 127.0.0.1 (the private Postfix, test/helpers/postfix.ts);
//     _PORT._tcp.mx.test TLSA 3 1 1 <Postfix's key> and 2 1 1 <its issuing intermediate>;
//     _mta-sts.d.test TXT v=STSv1; mta-sts.d.test A 127.0.0.1 (test/helpers/policy-server.ts,
//     mode enforce, mx: mx.test); _smtp._tls.d.test TXT v=TLSRPTv1.
//   mxprobe:  bin/mxprobe.js d.test --resolver <lab unbound> --port PORT --mta-sts-port P
//             --ca-file CA --allow-special-addresses -4 --require dane,mta-sts --json
//             (each run checked: exit 0, dane valid on every address, MTA-STS enforce with the
//             MX host matched and verified);
//   anchor:   posttls-finger -c -l dane d.test:PORT, run as test/integration/dane-lab.test.ts runs
//             it (test/helpers/postfix-dane-client.ts: unshare --mount, a private resolv.conf naming
//             a relay to the same unbound, MAIL_CONFIG = the test Postfix's config); each run
//             checked: a verified TLS connection with a matched DANE certificate;
//   wrapper:  the same unshare + mount + exec with /bin/true instead of posttls-finger: what the
//             anchor pays for running in a mount namespace, which a real Postfix does not;
//   node -e 0: what any Node CLI pays to start, which a C client does not.
// posttls-finger does not fetch MTA-STS policies (Postfix needs an external policy server for
// that): mxprobe does more work than the anchor here, so the ratio is information, not a goal.
// Skipped, with the reason printed, where nsd/unbound/ldns (the lab) are missing; the anchor is
// skipped (mxprobe still measured) where port 53 cannot be bound or unshare --mount fails.
import { X509Certificate, createHash } from 'node:crypto';
import { LAB_ZONES, startDnssecLab, txt, type LabRecord } from '../test/helpers/dnssec-lab.ts';
import { classifyFinger, startPostfixDaneClient, type PostfixDaneClient } from '../test/helpers/postfix-dane-client.ts';
import type { PostfixInstance } from '../test/helpers/postfix.ts';
import { policyCertFor, serve, startPolicyServer } from '../test/helpers/policy-server.ts';
import type { TestPki } from '../test/helpers/pki.ts';
import { BIN, RUNS, RunFailed, WARMUP, expectExit, median, ms, p90, paired, statsRow, table, timeOnce, type Cmd } from './harness.ts';

const DOMAIN = 'd.test';
const MX_HOST = 'mx.test';
const POLICY = 'version: STSv1\nmode: enforce\nmx: mx.test\nmax_age: 86400\n';

/** What the summary prints: the median ratio, or why the comparison did not run. */
export type DaneBenchResult = { ratio: number } | { ratio: null; skipped: string };

const PEM_RE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g;
const spkiSha256 = (pem: string): string =>
  createHash('sha256').update(new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' })).digest('hex');

/** The lab records of d.test: MX, address, a rollover-safe TLSA set (RFC 7671 §8.1: 3 1 1 + 2 1 1), MTA-STS and TLS-RPT. */
function records(pf: PostfixInstance, pki: TestPki): LabRecord[] {
  const tlsaName = `_${pf.tlsPort}._tcp.${MX_HOST}`;
  const issuer = (pki.certs.valid.cert.match(PEM_RE) ?? [])[1] ?? pki.intermediatePem;
  return [
    { name: DOMAIN, type: 'MX', data: `10 ${MX_HOST}` },
    { name: MX_HOST, type: 'A', data: '127.0.0.1' },
    { name: tlsaName, type: 'TLSA', data: `3 1 1 ${spkiSha256(pki.certs.valid.leaf)}` },
    { name: tlsaName, type: 'TLSA', data: `2 1 1 ${spkiSha256(issuer)}` },
    { name: `_mta-sts.${DOMAIN}`, type: 'TXT', data: txt('v=STSv1; id=20260601') },
    { name: `mta-sts.${DOMAIN}`, type: 'A', data: '127.0.0.1' },
    { name: `_smtp._tls.${DOMAIN}`, type: 'TXT', data: txt(`v=TLSRPTv1; rua=mailto:tls-reports@${DOMAIN}`) },
  ];
}

/** Throws unless mxprobe's JSON says: DANE valid on every address, MTA-STS enforce, the MX host matched and verified. */
function checkMxprobe(code: number | null, stdout: string): void {
  expectExit(0)(code);
  const d = JSON.parse(stdout).domains?.[0];
  const dane: unknown[] = (d?.mx ?? []).flatMap((h: any) => (h.addresses ?? []).map((a: any) => a.dane?.status));
  if (dane.length === 0 || dane.some((s) => s !== 'valid')) throw new Error(`dane ${JSON.stringify(dane)}, expected valid on every address`);
  if (d.mtaSts?.mode !== 'enforce') throw new Error(`MTA-STS mode ${JSON.stringify(d.mtaSts?.mode)}, expected enforce`);
  const match: any[] = d.mtaSts?.mxMatch ?? [];
  if (match.length === 0 || match.some((m) => m.verified !== true)) throw new Error(`MTA-STS mxMatch ${JSON.stringify(match)}, expected every MX host matched and verified`);
  for (const id of ['dane', 'mta-sts']) {
    const row = (d.policies ?? []).find((p: any) => p.id === id);
    if (row?.satisfied !== true) throw new Error(`sender policy row ${id} not satisfied: ${JSON.stringify(row)}`);
  }
}

/** Where mxprobe's time goes, from its own JSON (medians over the runs, ms): the figures it measured inside the process. */
function mxprobeFigures(outputs: readonly string[]): string {
  const dnsCount: number[] = [];
  const dnsSlowest: number[] = [];
  const probe: number[] = [];
  const fetch: number[] = [];
  for (const out of outputs) {
    const d = JSON.parse(out).domains[0];
    const dns: number[] = (d.dns ?? []).map((q: any) => Number(q.ms));
    dnsCount.push(dns.length);
    dnsSlowest.push(Math.max(...dns));
    probe.push(Math.max(...d.mx.flatMap((h: any) => h.addresses.map((a: any) => Number(a.timings?.total)))));
    fetch.push(Number(d.mtaSts?.fetch?.ms));
  }
  return `DNS queries ${median(dnsCount)} (slowest ${median(dnsSlowest)}), SMTP+TLS probe ${median(probe)}, MTA-STS policy fetch ${median(fetch)}`;
}

/** The posttls-finger anchor and the bare unshare wrapper, or why the anchor cannot run here. */
async function anchor(client: PostfixDaneClient): Promise<{ finger: Cmd; wrapper: Cmd } | string> {
  const c = client.command(DOMAIN);
  const finger: Cmd = {
    label: 'posttls-finger -l dane',
    file: c.file,
    args: c.args,
    env: c.env,
    check(code, stdout, stderr) {
      const v = classifyFinger(`${stdout}${stderr}`);
      if (v !== 'valid') throw new Error(`${v ?? 'unexpected output'} (exit ${code}), expected a verified connection with a matched DANE certificate`);
    },
  };
  const at = c.args.indexOf('/usr/sbin/posttls-finger');
  const wrapper: Cmd = { label: 'unshare wrapper', file: c.file, args: [...c.args.slice(0, at), 'true'], env: c.env, check: expectExit(0) };
  // One try each: the namespace or the mount may be refused here (a container without
  // CAP_SYS_ADMIN): output that fits no class means the anchor cannot run. A class other than
  // valid means Postfix disagrees with the set-up: that is a failure, not a reason to skip.
  let output: string;
  try {
    await timeOnce(wrapper);
    const tried = await timeOnce({ ...finger, check: () => undefined });
    output = `${tried.stdout}${tried.stderr}`;
  } catch (e) {
    return `unshare --mount does not work here: ${(e as Error).message.split('\n').slice(0, 12).join('\n')}`;
  }
  const v = classifyFinger(output);
  if (v === null) return `posttls-finger -l dane under unshare --mount said something unexpected here:\n${output.slice(0, 2000)}`;
  if (v !== 'valid') throw new RunFailed(`posttls-finger -l dane says ${v} for ${DOMAIN}, not valid: the bench's records do not give Postfix a DANE-verified connection\n${output.slice(0, 2000)}`);
  return { finger, wrapper };
}

/**
 * Sets up the lab, the policy server and the records; measures mxprobe against posttls-finger
 * -l dane in paired rounds and prints the table. Uses the caller's Postfix and test PKI.
 * @example const r = await benchDaneMtaSts(pf, pki); if (r.ratio === null) console.log(r.skipped);
 */
export async function benchDaneMtaSts(pf: PostfixInstance, pki: TestPki): Promise<DaneBenchResult> {
  console.log(`\n## DANE + MTA-STS: one domain through the DNSSEC lab, mxprobe vs posttls-finger -l dane (${RUNS} paired rounds, ${WARMUP} warm-up)\n`);
  const started = await startDnssecLab();
  if (!started.ok) {
    const skipped = `the DNSSEC lab cannot start: ${started.reason.split('\n')[0]}`;
    console.log(`skipped: ${skipped}`);
    return { ratio: null, skipped };
  }
  const lab = started.lab;
  const policy = await startPolicyServer(await policyCertFor(DOMAIN), serve(POLICY));
  let client: PostfixDaneClient | { unavailable: string } | undefined;
  try {
    await lab.setRecords(records(pf, pki));
    const mxprobe: Cmd = {
      label: 'mxprobe DANE + MTA-STS',
      file: process.execPath,
      args: [BIN, DOMAIN, '--resolver', lab.resolver, '--port', String(pf.tlsPort), '--mta-sts-port', String(policy.port), '--ca-file', pki.caFile,
        '--allow-special-addresses', '-4', '--require', 'dane,mta-sts', '--json'],
      check: checkMxprobe,
    };
    client = await startPostfixDaneClient(lab.resolver, pf);
    const cmds = 'unavailable' in client ? client.unavailable : await anchor(client);
    console.log(`target: ${DOMAIN} MX ${MX_HOST} → Postfix ${pf.host}:${pf.tlsPort}; validating unbound ${lab.resolver}; MTA-STS policy on ${policy.host}:${policy.port}`);
    console.log(`mxprobe: ${mxprobe.args.slice(1).join(' ').replaceAll(pki.caFile, 'CA')}`);
    if (typeof cmds === 'string') {
      console.log(`\nanchor skipped: ${cmds}\n(mxprobe measured alone)\n`);
      const { times, outputs } = await paired([mxprobe]);
      console.log(table(['wall time, ms', 'median', 'p90', 'min', 'max'], [statsRow('mxprobe d.test --require dane,mta-sts --json', times[0] as number[])]));
      console.log(`\nmxprobe's own timings (JSON, medians, ms): ${mxprobeFigures(outputs[0] as string[])}`);
      return { ratio: null, skipped: cmds.split('\n')[0] as string };
    }
    console.log(`anchor:  MAIL_CONFIG=… unshare --mount … posttls-finger -c -l dane -t 10 -T 20 ${DOMAIN}:${pf.tlsPort} (resolv.conf → relay ${(client as PostfixDaneClient).relay} → the same unbound)\n`);
    const nodeBare: Cmd = { label: 'node -e 0', file: process.execPath, args: ['-e', '0'], check: expectExit(0) };
    const { times, outputs } = await paired([mxprobe, cmds.finger, cmds.wrapper, nodeBare]);
    const [tm, tf, tw, tn] = times as [number[], number[], number[], number[]];
    const ratios = tm.map((m, i) => m / (tf[i] as number));
    const r = median(ratios);
    console.log(
      table(['wall time, ms', 'median', 'p90', 'min', 'max'], [
        statsRow('mxprobe d.test --require dane,mta-sts --json', tm),
        statsRow('posttls-finger -c -l dane (in unshare)', tf),
        statsRow('unshare wrapper alone (exec true)', tw),
        statsRow('node -e 0', tn),
      ]),
    );
    console.log(`\nper-round ratio mxprobe / posttls-finger: median ${r.toFixed(2)}×, p90 ${p90(ratios).toFixed(2)}×, min ${Math.min(...ratios).toFixed(2)}× (no goal: information)`);
    const bare = median(tf) - median(tw);
    console.log(`posttls-finger less the wrapper (medians): ~${ms(bare)} ms; mxprobe less node -e 0 (medians): ~${ms(median(tm) - median(tn))} ms`);
    console.log(`mxprobe's own timings (JSON, medians, ms; they overlap): ${mxprobeFigures(outputs[0] as string[])}`);
    console.log(`MTA-STS policy fetches: ${policy.requests.length} in ${RUNS + WARMUP} mxprobe runs (one per run: nothing is cached between runs)`);
    return { ratio: r };
  } finally {
    if (client !== undefined && 'close' in client) await client.close();
    await policy.close();
    await lab.stop();
  }
}
