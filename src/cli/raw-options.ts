/**
 * The command line as commander hands it over, before it is checked (options.ts): the raw
 * options' shape, their defaults and minimums as --help shows them, and the usage error.
 * Light on purpose: main.ts loads it at every start, --help and --version included.
 */
/**
 * A bad command line, in one line for the person (exit 2).
 *
 * @example throw new UsageError('--port must be a port number from 1 to 65535, not "0"');
 */
export class UsageError extends Error {}

/**
 * The options as commander parses them: strings as typed (or their defaults), flags as booleans.
 *
 * @example const raw: RawOptions = { ...OPTION_DEFAULTS, color: true };
 */
export interface RawOptions {
  server?: string;
  name?: string;
  port: string;
  '4'?: boolean;
  '6'?: boolean;
  resolver?: string;
  allowSpecialAddresses?: boolean;
  mtaStsPort?: string;
  ehloName?: string;
  tls?: string;
  timeout: string;
  connectTimeout: string;
  dnsTimeout: string;
  caFile?: string;
  require: string;
  deep?: boolean;
  deepDelay: string;
  profile: string;
  warnDays: string;
  format: string;
  json?: boolean;
  transcript?: boolean;
  color: boolean;
  input?: string;
  output?: string;
  concurrency: string;
  perHost: string;
  retries: string;
  retryDelay: string;
  shard?: string;
  resume?: boolean;
  quiet?: boolean;
  /** --workers; default: defaultWorkers(). */
  workers?: string;
}

/**
 * Defaults of the options that have one, as commander shows them in --help.
 *
 * @example program.option('--timeout <seconds>', 'overall deadline per address', OPTION_DEFAULTS.timeout)
 */
export const OPTION_DEFAULTS = {
  port: '25',
  timeout: '30',
  connectTimeout: '10',
  dnsTimeout: '3',
  require: 'encrypt',
  deepDelay: '0',
  profile: 'ncsc',
  warnDays: '30',
  format: 'text',
  concurrency: '32',
  perHost: '2',
  retries: '1',
  retryDelay: '1',
} as const satisfies Partial<RawOptions>;

/**
 * Did the person give this option (rather than it having its default)?
 *
 * @example const given: GivenOption = (key) => cli.getOptionValueSource(key) === 'cli';
 */
export type GivenOption = (key: keyof RawOptions) => boolean;

/**
 * Shortest deadlines, in seconds. Below them a deadline is no deadline at all (0.0004 s used
 * to round to 0 ms, and everything timed out); a real SMTP or DNS round trip needs more.
 *
 * @example `--timeout <seconds>: overall deadline per address (at least ${MIN_TIMEOUT_SECONDS})`
 */
export const MIN_TIMEOUT_SECONDS = 0.1;
/**
 * Shortest retry backoff in seconds; 0 (retry at once) is allowed too.
 *
 * @example `--retry-delay <seconds>: 0, or at least ${MIN_RETRY_DELAY_SECONDS}`
 */
export const MIN_RETRY_DELAY_SECONDS = 0.01;

/**
 * Most probe workers a batch may start (--workers).
 *
 * @example `--workers <n>: 1 to ${MAX_WORKERS}`
 */
export const MAX_WORKERS = 64;
