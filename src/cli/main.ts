/**
 * mxprobe's command line: parses and checks options, then hands over to run.ts (probe) or
 * run-headers.ts (`mxprobe headers`), loaded only when there is work to do so that --help
 * and --version start fast.
 */
import { errorLine } from './error-line.js';
import { Command, CommanderError, Option } from 'commander';
import pkg from '../../package.json' with { type: 'json' };
import { EXIT } from './exit-codes.js';
import { checkOptions, FORMATS, UsageError, type RawOptions } from './options.js';

const HELP_AFTER = `
Exit codes: 0 every domain meets --require; 1 some domain is below it; 2 usage or input
error; 3 some result could not be determined (DNS failure, nothing reachable) and none
failed; 74 the output could not be written; 130 a batch interrupted by SIGINT/SIGTERM
(finished rows are kept); 141 standard output closed by its reader.

Examples:
  mxprobe example.com                      probe every MX address, print a table and verdict
  mxprobe --require verify --json a.com b.com > report.json
  mxprobe --server mx.example.com:25 --transcript
  mxprobe headers message.eml              did every hop of a delivered message use TLS?
  mxprobe --input partners.csv --format csv --output audit.csv       batch audit
  mxprobe --input partners.csv --format csv --output audit.csv --resume
`;

const HEADERS_HELP_AFTER = `
Reads an RFC 5322 message (.eml), a bare header block or an mbox, and judges every
Received: field, oldest hop first.

Exit codes: 0 every network hop of every message used TLS; 1 some hop did not, or could
not be told (unknown format); 2 unreadable input or no message header found.
`;

/** One line, like every other usage error: "mxprobe: unknown option '--x' (see mxprobe --help)". */
const ONE_LINE_ERRORS = {
  outputError: (text: string, write: (s: string) => void) =>
    write(`mxprobe: ${text.trim().replace(/^error: /, '').replace(/\n+/g, ' ')} (see mxprobe --help)\n`),
};

type Task = () => Promise<number>;

function program(): Command {
  return new Command('mxprobe')
    .description('Is this mail domain ready for TLS? Probes every MX address with SMTP STARTTLS and judges the result.')
    .version(pkg.version, '-V, --version')
    .argument('[domains...]', 'domains or e-mail addresses to probe')
    .option('--server <host[:port]>', 'probe one SMTP server directly, with no MX look-up')
    .option('--name <fqdn>', 'with --server: the name to send as SNI and match the certificate against')
    .option('-p, --port <port>', 'SMTP port', '25')
    .option('-4', 'use IPv4 addresses only')
    .option('-6', 'use IPv6 addresses only')
    .option('--resolver <ip[:port]>', "send every DNS query to this server (default: the system's)")
    .option('--allow-special-addresses', 'also probe MX addresses in special-purpose ranges (loopback, private, …): for labs and tests')
    .option('--ehlo-name <name>', "name to send in EHLO (default: this host's FQDN, or its address literal)")
    .option('--timeout <seconds>', 'overall deadline per address', '30')
    .option('--connect-timeout <seconds>', 'deadline for the TCP connection', '10')
    .option('--ca-file <pem>', 'also trust the CA certificates in this PEM file (private CAs)')
    .option('--require <level>', 'level every domain must reach: none, encrypt or verify', 'encrypt')
    .option('--warn-days <days>', 'warn when a certificate expires within this many days', '30')
    .addOption(new Option('--format <format>', 'output format').choices([...FORMATS]).default('text'))
    .option('--json', 'same as --format json')
    .option('-o, --output <file>', 'write the report to this file instead of standard output')
    .option('--transcript', 'show the SMTP dialogue of every address (in JSON: keep the transcript field)')
    .option('--no-color', 'no colours (also NO_COLOR=1)')
    .option('-i, --input <file>', "batch audit: a CSV with a domain or email column (or a plain list); '-' for standard input")
    .option('--concurrency <n>', 'batch: domains probed at once', '32')
    .option('--per-host <n>', 'batch: most simultaneous connections to one server IP', '2')
    .option('--retries <n>', 'batch: extra attempts after a transient failure (4xx, reset, timeout)', '1')
    .option('--retry-delay <seconds>', 'batch: first backoff before a retry, doubled each time', '1')
    .option('--shard <k/n>', 'batch: probe only part K of N of the input (a stable hash of the domain)')
    .option('--resume', 'batch: skip the domains already in --output (csv or ndjson) and append the rest')
    .option('-q, --quiet', 'batch: no progress and no summary on stderr')
    .option('--dns-timeout <seconds>', 'deadline for one DNS query attempt (two attempts per server)', '3')
    .addHelpText('after', HELP_AFTER)
    .configureOutput(ONE_LINE_ERRORS)
    .exitOverride();
}

function headersCommand(onRun: (task: Task) => void): Command {
  return new Command('headers')
    .description('prove from a delivered message that TLS was used on every hop (Received: fields)')
    .argument('[file]', "message file (.eml, header block or mbox); '-' or nothing for standard input")
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--json', 'same as --format json')
    .option('--no-color', 'no colours (also NO_COLOR=1)')
    .addHelpText('after', HEADERS_HELP_AFTER)
    .configureOutput(ONE_LINE_ERRORS)
    .exitOverride()
    .action((file: string | undefined, opts: { format: string; json?: boolean; color: boolean }) => {
      onRun(async () => {
        const { runHeaders } = await import('./run-headers.js');
        return runHeaders({ file: file ?? '-', format: opts.json === true ? 'json' : (opts.format as 'text' | 'json'), color: opts.color });
      });
    });
}

async function main(argv: string[]): Promise<number> {
  let task: Task | null = null;
  // Positional options: `mxprobe headers --json` gives --json to headers, not to the probe.
  const cli = program().enablePositionalOptions();
  cli.addCommand(headersCommand((t) => (task = t)));
  cli.action((domains: string[], opts: RawOptions) => {
    task = async () => {
      const settings = checkOptions(domains, opts);
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

// Standard output that fails outside a sink (help, version, `mxprobe headers`). A sink that
// listens (batch/sink.ts streamSink) reports it itself, so the run can stop in order.
// `mxprobe ... | head` closes stdout early: the reader's choice, so no message, exit 141
// like a process ended by SIGPIPE; any other error is one line and exit 74.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (process.stdout.listenerCount('error') > 1) return;
  if (err.code === 'EPIPE') process.exit(EXIT.BROKEN_PIPE);
  process.stderr.write(errorLine(`cannot write to standard output: ${err.code ?? err.message}`));
  process.exit(EXIT.OUTPUT_ERROR);
});

// Standard error closed by its reader (`2>&1 | head`, a log collector gone): progress and
// messages can no longer be shown, but the run and its report go on; an unhandled stream
// error would kill it with a stack trace no one sees.
process.stderr.on('error', () => undefined);

/**
 * Exit at once for a run that ended early (interrupted, output closed or failed): probes
 * abandoned after the grace period may still hold sockets and timers, which must not keep
 * the process alive. Their rows are not written, and everything written went out with
 * synchronous writes (files, and pipes and terminals on Linux).
 */
const EXIT_NOW: ReadonlySet<number> = new Set([EXIT.INTERRUPTED, EXIT.BROKEN_PIPE, EXIT.OUTPUT_ERROR]);

main(process.argv).then(
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
