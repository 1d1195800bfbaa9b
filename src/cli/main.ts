/**
 * mxprobe's command line: parses options, then hands over to options.ts (the checks) and
 * run.ts (probe) or run-headers.ts (`mxprobe headers`), loaded only when there is work to do
 * so that --help and a parse error start fast (bin/mxprobe.js answers --version alone).
 */
import { errorLine } from './error-line.js';
import { Command, CommanderError, Option } from 'commander';
import pkg from '../../package.json' with { type: 'json' };
import { EXIT } from './exit-codes.js';
import { guardUnsettled } from './unsettled-guard.js';
import { FORMATS } from '../render/formats.js';
import { GUIDELINE_PROFILE_IDS } from '../model/guideline-profile-ids.js';
import { guardStandardOutput } from './output.js';
import { MAX_WORKERS, MIN_RETRY_DELAY_SECONDS, MIN_TIMEOUT_SECONDS, OPTION_DEFAULTS as D, UsageError, type GivenOption, type RawOptions } from './raw-options.js';

const HELP_AFTER = `
Exit codes:
  0    every domain meets --require
  1    some domain is below it, or accepts no mail at all (NXDOMAIN, null MX)
  2    usage or input error (bad option, invalid domain, unreadable file): nothing probed
  3    some result could not be determined (DNS failure, nothing reachable), none failed
  70   internal error in mxprobe (please report it; MXPROBE_DEBUG=1 prints the stack)
  74   the report could not be written (disk full, I/O error on --output or stdout)
  130  interrupted by SIGINT/SIGTERM (the reports and rows finished are kept)
  141  standard output was closed by its reader (mxprobe ... | head)

Options that take seconds accept fractions; deadlines are at least ${MIN_TIMEOUT_SECONDS} s,
--retry-delay 0 or at least ${MIN_RETRY_DELAY_SECONDS} s. Options marked "batch:" go with --input.

Examples:
  mxprobe example.com                      probe every MX address, print a table and verdict
  mxprobe --require verify --json a.com b.com > report.json
  mxprobe --server mx.example.com:25 --transcript
  mxprobe headers message.eml              did every hop of a delivered message use TLS?
  mxprobe --input partners.csv --format csv --output audit.csv       batch audit
  mxprobe --input partners.csv --format csv --output audit.csv --resume
  mxprobe report part-*.ndjson --format html --output audit.html   saved results, merged, re-rendered
  mxprobe diff jan.ndjson feb.ndjson       what changed since the last audit (exit 1: a regression)
  mxprobe receive --listen :2525 --cert c.pem --key k.pem --require c   test a partner's sending side
  mxprobe help headers                     help on the headers command
`;

const HEADERS_HELP_AFTER = `
Reads RFC 5322 messages (.eml), bare header blocks or mboxes, each file in turn, and judges
every Received: field, oldest hop first. Caps: 64 MiB an input, 10,000 messages an input,
1 MiB a header, 500 Received fields a header, 16 KiB a field; what a cap leaves unread is
never a pass.

Exit codes: 0 every network hop of every message used TLS and everything was read; 1 some
hop did not, could not be told (unknown format), or was left unread by a cap; 2 an input
could not be read, or no input held a message header; 74 the report could not be written;
141 standard output was closed early.
`;

const REPORT_HELP_AFTER = `
Reads the NDJSON or JSON an earlier run wrote (schema version 2), a file at a time ('-' for
standard input), and writes the report again in any format, with the batch summary when there
is more than one domain. Several files are one audit: the outputs of --shard 1/N … N/N merge
into one report; the same input row in two files, or a missing shard, is an error. Without
--at or --days-ahead the saved verdicts stand; with them the saved facts are judged again as
of that moment, against the requirement each row was judged against (--warn-days, default 30).
A last line cut short (a run killed while writing) is skipped with a warning.

Exit codes: 0 every row meets its requirement; 1 some row is below it; 3 some row is
undetermined, none failed; 2 a file could not be read or is not a saved result (one line
naming the file and the line); 74 the report could not be written; 141 standard output was
closed early.

Examples:
  mxprobe report audit.ndjson --format html --output audit.html
  mxprobe report part-*.ndjson --format csv --output audit.csv     merge the shards of one audit
  mxprobe report audit.ndjson --days-ahead 30                      what will have expired in 30 days
`;

const DIFF_HELP_AFTER = `
Compares two saved audits (NDJSON or JSON of earlier runs, schema version 2) row by row: by
domain, or by an input column the audits carried (--key, e.g. a partner id). Lists, regressions
first: rows that passed in OLD and do not in NEW; what got worse (level down, a new problem, a
certificate now inside --warn-days as NEW judged it); what changed (domains added or removed, a
certificate replaced, MX hosts or addresses); what got better.

Exit codes: 0 no regression; 1 some row passed in OLD and does not in NEW; 2 a file could not
be read or is not a saved result; 74 the report could not be written; 141 standard output was
closed early.

Examples:
  mxprobe diff jan.ndjson feb.ndjson                    the monthly audit: what got worse?
  mxprobe diff jan.ndjson feb.ndjson --key partner_id --format html --output changes.html
`;

/**
 * Commander's own errors (unknown option, bad choice) as one sanitised line, like every other
 * usage error: "mxprobe: unknown option '--x' (Did you mean --xy?) (see mxprobe --help)". They
 * quote what was typed, so they pass through errorLine() (the one sanitiser) like the rest.
 */
const ONE_LINE_ERRORS = {
  outputError: (text: string, write: (s: string) => void) =>
    write(errorLine(`${text.trim().replace(/^error: /, '').replace(/\n(?=\(Did you mean)/, ' ')} (see mxprobe --help)`)),
};

type Task = () => Promise<number>;

function program(): Command {
  return new Command('mxprobe')
    .description(
      'Is this mail domain ready for TLS? Probes every MX address with SMTP STARTTLS and judges the result against the sender policies of the partner TLS FAQs.',
    )
    .version(pkg.version, '-V, --version')
    .argument('[domains...]', 'domains or e-mail addresses to probe')
    .option('--server <host[:port]>', 'probe one SMTP server directly, with no MX look-up (an IP address or a host name; [IPv6]:port)')
    .option('--name <fqdn>', 'with --server: the name to send as SNI and match the certificate against')
    .option('-p, --port <port>', 'SMTP port', D.port)
    .option('-4', 'use IPv4 addresses only')
    .option('-6', 'use IPv6 addresses only')
    .option('--resolver <ip[:port]>', "send every DNS query to this server (default: the system's)")
    .option('--allow-special-addresses', 'also probe MX addresses in special-purpose ranges (loopback, private, …): for labs and tests')
    .option('--mta-sts-port <port>', 'HTTPS port of mta-sts.DOMAIN for the MTA-STS policy (default 443, RFC 8461): for labs and tests')
    .option('--ehlo-name <name>', "name to send in EHLO (default: this host's FQDN, or its address literal)")
    .option('--tls <mode>', 'starttls or implicit (TLS from the first byte, RFC 8314); default: implicit on port 465, else starttls')
    .option('--timeout <seconds>', `overall deadline per address (at least ${MIN_TIMEOUT_SECONDS})`, D.timeout)
    .option('--connect-timeout <seconds>', `deadline for the TCP connection (at least ${MIN_TIMEOUT_SECONDS})`, D.connectTimeout)
    .option('--ca-file <pem>', 'also trust the CA certificates in this PEM file (private CAs)')
    .option('--require <policies>', 'sender policies every domain must satisfy: none, encrypt, verify, a-f, plain, opportunistic, tls-required, dane, mta-sts (several comma-separated); +graded: also nothing graded insufficient (turns --deep on)', D.require)
    .option('--deep', 'also check what else each address accepts: protocol versions, cipher suites, groups, a certificate per signature algorithm, renegotiation, command injection (tens of connections per address)')
    .option('--deep-delay <ms>', 'with --deep: pause between its connections to one address', D.deepDelay)
    .addOption(new Option('--profile <name>', 'the TLS guideline facts are graded under (with --deep and +graded)').choices([...GUIDELINE_PROFILE_IDS]).default(D.profile))
    .option('--warn-days <days>', 'warn when a certificate expires within this many days', D.warnDays)
    .addOption(new Option('--format <format>', 'output format').choices([...FORMATS]).default(D.format))
    .option('--json', 'same as --format json')
    .option('-o, --output <file>', 'write the report to this file instead of standard output')
    .option('--transcript', 'show the SMTP dialogue of every address (in JSON: keep the transcript field)')
    .option('--no-color', 'no colours (also NO_COLOR=1)')
    .option('-i, --input <file>', "batch audit: a CSV with a domain or email column (or a plain list); '-' for standard input")
    .option('--concurrency <n>', 'batch: domains probed at once', D.concurrency)
    .option('--per-host <n>', 'batch: most simultaneous connections to one server IP', D.perHost)
    .option('--retries <n>', 'batch: extra attempts after a transient failure (4xx, reset, timeout)', D.retries)
    .option('--retry-delay <seconds>', `batch: first backoff before a retry, doubled each time (0, or at least ${MIN_RETRY_DELAY_SECONDS})`, D.retryDelay)
    .option('--shard <k/n>', 'batch: probe only part K of N of the input (a stable hash of the domain)')
    .option('--resume', 'batch: skip the domains already in --output (csv or ndjson) and append the rest')
    .option('-q, --quiet', 'batch: no progress and no summary on stderr')
    .option('--workers <n>', `batch: threads that probe addresses (1: all in the main thread; at most ${MAX_WORKERS}) (default: one per core)`)
    .option('--dns-timeout <seconds>', `deadline for one DNS query attempt (two attempts per server; at least ${MIN_TIMEOUT_SECONDS})`, D.dnsTimeout)
    .addHelpText('after', HELP_AFTER)
    .configureOutput(ONE_LINE_ERRORS)
    .exitOverride();
}

function headersCommand(onRun: (task: Task) => void): Command {
  return new Command('headers')
    .description('prove from a delivered message that TLS was used on every hop (Received: fields)')
    .argument('[files...]', "message files (.eml, header block or mbox), read in turn; '-' or nothing for standard input")
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--json', 'same as --format json')
    .option('--no-color', 'no colours (also NO_COLOR=1)')
    .addHelpText('after', HEADERS_HELP_AFTER)
    .configureOutput(ONE_LINE_ERRORS)
    .exitOverride()
    .action((files: string[], opts: { format: string; json?: boolean; color: boolean }) => {
      onRun(async () => {
        const { runHeaders } = await import('./run-headers.js');
        return runHeaders({ files, format: opts.json === true ? 'json' : (opts.format as 'text' | 'json'), color: opts.color });
      });
    });
}

function reportCommand(onRun: (task: Task) => void): Command {
  return new Command('report')
    .description('re-render saved results (NDJSON or JSON of earlier runs) in any format, merge the parts of a sharded audit, judge them again as of another moment')
    .argument('<files...>', "saved results (NDJSON or JSON, schema version 2); '-' for standard input")
    .addOption(new Option('--format <format>', 'output format').choices([...FORMATS]).default('text'))
    .option('--json', 'same as --format json')
    .option('-o, --output <file>', 'write the report to this file instead of standard output')
    .option('--at <date>', 'judge the saved facts again as of this moment (ISO 8601: 2027-01-31 or 2027-01-31T12:00:00Z)')
    .option('--days-ahead <days>', 'judge the saved facts again this many days after now (or after --at)')
    .option('--warn-days <days>', 'judging again: warn when a certificate expires within this many days (default 30)')
    .option('--no-color', 'no colours (also NO_COLOR=1)')
    .option('-q, --quiet', 'no summary on stderr')
    .addHelpText('after', REPORT_HELP_AFTER)
    .configureOutput(ONE_LINE_ERRORS)
    .exitOverride()
    .action((files: string[], opts: Record<string, unknown>) => {
      onRun(async () => {
        const { checkReportOptions, runReport } = await import('./run-report.js');
        return runReport(checkReportOptions(files, opts as unknown as Parameters<typeof checkReportOptions>[1]));
      });
    });
}

function diffCommand(onRun: (task: Task) => void): Command {
  return new Command('diff')
    .description('what changed between two saved audits (NDJSON or JSON of earlier runs): regressions first')
    .argument('<old>', "the earlier audit (NDJSON or JSON); '-' for standard input")
    .argument('<new>', "the later audit (NDJSON or JSON); '-' for standard input")
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'html']).default('text'))
    .option('--json', 'same as --format json')
    .option('-o, --output <file>', 'write the diff to this file instead of standard output')
    .option('--warn-days <days>', 'list certificates that now expire within this many days (as NEW judged them)', D.warnDays)
    .option('--key <column>', 'match rows by this input column (a partner id …) instead of by domain')
    .addHelpText('after', DIFF_HELP_AFTER)
    .configureOutput(ONE_LINE_ERRORS)
    .exitOverride()
    .action((oldFile: string, newFile: string, opts: Record<string, unknown>) => {
      onRun(async () => {
        const { checkDiffOptions, runDiff } = await import('./run-diff.js');
        return runDiff(checkDiffOptions(oldFile, newFile, opts as unknown as Parameters<typeof checkDiffOptions>[2]));
      });
    });
}

const RECEIVE_HELP_AFTER = `
Runs a small SMTP receiver for a partner's SENDING gateway (point an MX or a test route at it):
it never relays and never delivers. Per sender IP it changes what it offers between sessions
(rounds: 1 STARTTLS with --cert; 2 STARTTLS with a self-signed certificate that does not name
the host; 3 no STARTTLS), answers 451 after DATA to bring the sender back, and 550 once decided.
The verdict per sender: the policies (a) plain, (b) TLS if offered, (c) TLS required, (d) TLS
required with the name verified, consistent with what it did.

The first line on standard error is "mxprobe: listening on HOST:PORT" (the port bound).
The run ends at --duration, when every sender seen is decided (--until-decided), or on
SIGINT/SIGTERM: the report is written either way (a second signal exits at once, 130).

Exit codes: 0 every sender observed meets --require (without --require: some sender observed);
1 a sender is below --require; 3 no sender observed, or one not yet known for --require;
2 usage error, or the address cannot be listened on; 74 the report could not be written;
141 standard output was closed early.

Examples:
  mxprobe receive --listen :2525 --cert cert.pem --key key.pem --require c --duration 3600
  mxprobe receive --listen 127.0.0.1:0 --cert c.pem --key k.pem --until-decided --format ndjson
`;

function receiveCommand(onRun: (task: Task) => void): Command {
  return new Command('receive')
    .description("test a partner's SENDING gateway: does it use TLS, does it require it, does it verify the certificate? (a test SMTP receiver)")
    .option('--listen <addr:port>', 'the address and port to listen on: 127.0.0.1:2525, [::1]:2525, :2525 (every IPv4 address); port 0: any free port')
    .option('--cert <pem>', 'the certificate (chain) STARTTLS presents in round 1: one the sender trusts, naming this host')
    .option('--key <pem>', 'its private key')
    .option('--name <fqdn>', "the host name in the greeting (default: --cert's first DNS name, else this host's name)")
    .option('--ca-file <pem>', 'also trust these CA certificates for client certificates')
    .option('--duration <seconds>', 'end the run after this long (default: no limit)')
    .option('--until-decided', 'end as soon as every sender seen is decided (one partner at a time: with several, the first decided could end the run before the others come; use --duration)')
    .option('--require <letter>', 'the sender policy every sender must meet: a, b, c or d (plain, opportunistic, encrypt, verify)')
    .option('--max-sessions <n>', 'sessions at once, over all senders (beyond: 421)', '20')
    .option('--max-sessions-per-ip <n>', 'sessions at once from one IP address (beyond: 421)', '5')
    .option('--max-message-size <bytes>', 'largest message read (beyond: 552 and the session ends)', String(10 * 1024 * 1024))
    .option('--idle-timeout <seconds>', 'longest wait for a client (a command, the handshake, message data)', '60')
    .option('--session-timeout <seconds>', 'longest session', '600')
    .option('--save <dir>', 'keep each message received as an .eml file in this folder (names made by mxprobe)')
    .option('--no-reverse', 'do not look up the reverse name of client addresses')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'ndjson']).default('text'))
    .option('--json', 'same as --format json')
    .option('-o, --output <file>', 'write the report to this file instead of standard output')
    .addHelpText('after', RECEIVE_HELP_AFTER)
    .configureOutput(ONE_LINE_ERRORS)
    .exitOverride()
    .action((opts: Record<string, unknown>) => {
      onRun(async () => {
        const { checkReceiveOptions, runReceive } = await import('./run-receive.js');
        return runReceive(await checkReceiveOptions(opts as Parameters<typeof checkReceiveOptions>[0]));
      });
    });
}

async function main(argv: string[]): Promise<number> {
  let task: Task | null = null;
  // Positional options: `mxprobe headers --json` gives --json to headers, not to the probe.
  const cli = program().enablePositionalOptions();
  cli.addCommand(headersCommand((t) => (task = t)));
  cli.addCommand(reportCommand((t) => (task = t)));
  cli.addCommand(diffCommand((t) => (task = t)));
  cli.addCommand(receiveCommand((t) => (task = t)));
  // `mxprobe help [command]` shows help; without it, "help" would be probed as a domain.
  cli.helpCommand(true);
  cli.action((domains: string[], opts: RawOptions) => {
    // Given on the command line (or by the environment), not a default: batch-only options need --input.
    const given: GivenOption = (key) => {
      const source = cli.getOptionValueSource(key);
      return source !== undefined && source !== 'default';
    };
    task = async () => {
      const { checkOptions } = await import('./options.js');
      const settings = checkOptions(domains, opts, given);
      const { run } = await import('./run.js');
      return run(settings);
    };
  });
  try {
    cli.parse(argv);
    return task === null ? EXIT.USAGE : await (task as Task)();
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(errorLine(err.message));
    return EXIT.USAGE;
  }
}

// Standard output written outside a sink (help, version) fails as a sink's does (cli/output.ts);
// a closed standard error does not stop the run.
guardStandardOutput();

/**
 * Exit at once for a run that ended early (interrupted, output closed or failed): probes
 * abandoned after the grace period may still hold sockets and timers, which must not keep
 * the process alive. Their rows are not written, and everything written went out with
 * synchronous writes (files, and pipes and terminals on Linux).
 */
const EXIT_NOW: ReadonlySet<number> = new Set([EXIT.INTERRUPTED, EXIT.BROKEN_PIPE, EXIT.OUTPUT_ERROR]);

const running = main(process.argv);
guardUnsettled(running, EXIT.INTERNAL);
running.then(
  (code) => {
    process.exitCode = code;
    if (EXIT_NOW.has(code)) process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(errorLine(`internal error: ${err instanceof Error ? err.message : String(err)}`));
    if (process.env.MXPROBE_DEBUG !== undefined && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    process.exitCode = EXIT.INTERNAL;
  },
);
