/**
 * mxprobe's command line: parses and checks options, then hands over to run.ts, which is
 * loaded only when there is work to do so that --help and --version start fast.
 */
import { Command, CommanderError, Option } from 'commander';
import pkg from '../../package.json' with { type: 'json' };
import { EXIT } from './exit-codes.js';
import { checkOptions, UsageError, type RawOptions } from './options.js';

const HELP_AFTER = `
Exit codes: 0 every domain meets --require; 1 some domain is below it; 2 usage or input
error; 3 some result could not be determined (DNS failure, nothing reachable) and none failed.

Examples:
  mxprobe example.com                      probe every MX address, print a table and verdict
  mxprobe --require verify --json a.com b.com > report.json
  mxprobe --server mx.example.com:25 --transcript
`;

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
    .option('--ehlo-name <name>', "name to send in EHLO (default: this host's FQDN, or its address literal)")
    .option('--timeout <seconds>', 'overall deadline per address', '30')
    .option('--connect-timeout <seconds>', 'deadline for the TCP connection', '10')
    .option('--ca-file <pem>', 'also trust the CA certificates in this PEM file (private CAs)')
    .option('--require <level>', 'level every domain must reach: none, encrypt or verify', 'encrypt')
    .option('--warn-days <days>', 'warn when a certificate expires within this many days', '30')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--json', 'same as --format json')
    .option('--transcript', 'show the SMTP dialogue of every address (in JSON: keep the transcript field)')
    .option('--no-color', 'no colours (also NO_COLOR=1)')
    .option('--dns-timeout <seconds>', 'deadline for one DNS query attempt (two attempts per server)', '3')
    .addHelpText('after', HELP_AFTER)
    // One line, like every other usage error: "mxprobe: unknown option '--x' (see mxprobe --help)".
    .configureOutput({
      outputError: (text, write) => write(`mxprobe: ${text.trim().replace(/^error: /, '').replace(/\n+/g, ' ')} (see mxprobe --help)\n`),
    })
    .exitOverride();
}

async function main(argv: string[]): Promise<number> {
  const cli = program();
  try {
    cli.parse(argv);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    throw err;
  }
  let settings;
  try {
    settings = checkOptions(cli.args, cli.opts<RawOptions>());
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`mxprobe: ${err.message}\n`);
    return EXIT.USAGE;
  }
  const { run } = await import('./run.js');
  return run(settings);
}

// `mxprobe ... | head` closes stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(process.exitCode ?? 0);
});

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`mxprobe: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    if (process.env.MXPROBE_DEBUG !== undefined && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    process.exitCode = EXIT.INTERNAL;
  },
);
