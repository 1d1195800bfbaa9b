/**
 * Wires one CLI run through the pipeline: gather (probe/) → judge (judge/) → render (render/),
 * with a spinner on stderr while gathering when stderr is a terminal.
 */
import os from 'node:os';
import type { Settings } from './options.js';
import type { DomainFacts, DomainResult } from '../model/result.js';
import { DnsResolver } from '../dns/resolver.js';
import { makeTrustStore, readCaFile, TrustStoreError } from '../cert/trust-store.js';
import { probeDomain, probeServer, type DomainProbeOptions } from '../probe/probe-domain.js';
import { mapLimit } from '../probe/map-limit.js';
import { judgeDomain } from '../judge/judge-domain.js';
import { renderJson } from '../render/json.js';
import { colorLevel } from './color-level.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { startSpinner } from './spinner.js';

/** Addresses of one domain probed at once; domains probed at once. */
const PARALLEL_ADDRESSES = 8;
const PARALLEL_DOMAINS = 4;

/** This host's name when it is a fully-qualified domain name, else null (the prober then sends an address literal). */
export function defaultEhloName(hostname = os.hostname()): string | null {
  return /^(?=.{1,253}$)[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(hostname) ? hostname.toLowerCase() : null;
}

export async function run(settings: Settings): Promise<number> {
  let extraCas: string[] = [];
  if (settings.caFile !== null) {
    try {
      extraCas = readCaFile(settings.caFile);
    } catch (err) {
      if (!(err instanceof TrustStoreError)) throw err;
      process.stderr.write(`mxprobe: ${err.message}\n`);
      return EXIT.USAGE;
    }
  }
  const options: DomainProbeOptions = {
    resolver: new DnsResolver({ ...(settings.resolver !== null ? { servers: [settings.resolver] } : {}), timeoutMs: settings.dnsTimeoutMs }),
    families: settings.families,
    port: settings.port,
    parallel: PARALLEL_ADDRESSES,
    probe: {
      timeoutMs: settings.timeoutMs,
      connectTimeoutMs: Math.min(settings.connectTimeoutMs, settings.timeoutMs),
      stageTimeoutMs: settings.timeoutMs,
      ehloName: settings.ehloName ?? defaultEhloName(),
      trust: makeTrustStore(extraCas),
    },
  };

  const total = settings.server !== null ? 1 : settings.domains.length;
  const spinner = await startSpinner(process.stderr, total);
  let facts: DomainFacts[];
  try {
    if (settings.server !== null) {
      spinner.update(settings.server.host);
      facts = [await probeServer(settings.server, options, settings.resolver !== null)];
    } else {
      facts = await mapLimit(settings.domains, PARALLEL_DOMAINS, async ({ input, domain }) => {
        spinner.update(domain);
        const result = await probeDomain(input, domain, options);
        spinner.done(domain);
        return result;
      });
    }
  } finally {
    spinner.stop();
  }

  const now = new Date();
  const results: DomainResult[] = facts.map((f) => judgeDomain(f, { required: settings.required, warnDays: settings.warnDays }, now));
  // The table renderer (cli-table3, chalk) is loaded only for text output.
  const out =
    settings.format === 'json'
      ? renderJson(results, { transcript: settings.transcript })
      : (await import('../render/text.js')).renderText(results, {
          colorLevel: colorLevel(settings.color, process.env, process.stdout.isTTY === true, process.stdout.isTTY ? process.stdout.getColorDepth() : 1),
          transcript: settings.transcript,
        });
  process.stdout.write(out);
  return exitCodeFor(results.map((r) => r.pass));
}
