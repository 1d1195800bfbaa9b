// `mxprobe headers` benchmark (`npm run bench:headers`): the built CLI on generated mboxes of
// many messages with many Received fields, text and JSON, standard output counted (not kept).
//
// Shapes (messages × Received fields per message; every field a Postfix TLS 1.3 notation, so
// every message passes and the whole report is drawn):
//   3x500, 25x500, 1000x60   the shapes (item 15: text took 2 s, 12.6 s and 44 s)
//   64MiB                    messages of 60 fields and a 4 KiB body, up to just under 64 MiB
//                            (the input cap): ~2,400 messages, ~147,000 hops
//
// Measured per shape and format: wall time (spawn to exit), CPU time of the CLI (user + system),
// peak RSS of the CLI (process.resourceUsage().maxRSS at exit, through a preloaded hook), and the
// size of the report. Time should grow linearly with the input (compare the per-hop column);
// peak RSS should stay flat whatever the input size (streaming, one message at a time).
//
// Env: BENCH_SHAPES (default "3x500,25x500,1000x60,64MiB"), BENCH_CLI (another build's
// bin/mxprobe.js, e.g. the one before a change, to compare), BENCH_TIMEOUT_S (kill a run after
// this many seconds, default 300), BENCH_KEEP=1 (keep the generated inputs).
// Exit: 0 after reporting, 1 when an input could not be written or a run failed.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = process.env.BENCH_CLI !== undefined && process.env.BENCH_CLI !== '' ? path.resolve(process.env.BENCH_CLI) : path.join(ROOT, 'bin', 'mxprobe.js');
const SHAPES = (process.env.BENCH_SHAPES ?? '3x500,25x500,1000x60,64MiB').split(',').map((s) => s.trim()).filter((s) => s !== '');
const TIMEOUT_S = Number(process.env.BENCH_TIMEOUT_S ?? 300);
const KEEP = process.env.BENCH_KEEP === '1';
const MiB = 1024 * 1024;

const RSS_MARK = '\n@@bench-maxrss=';
const RSS_HOOK = `data:text/javascript,process.on('exit',()=>{const u=process.resourceUsage();process.stderr.write(${JSON.stringify(RSS_MARK)}+u.maxRSS+' '+(u.userCPUTime+u.systemCPUTime)+'\\n')})`;

const field = (i: number) =>
  `Received: from relay${i}.sender.example (relay${i}.sender.example [192.0.2.${(i % 250) + 1}])\n` +
  `\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\n\t key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)\n` +
  `\t(No client certificate requested)\n\tby relay${i + 1}.receiver.example (Postfix) with ESMTPS id 4Q${i}XyZ\n\tfor <user@receiver.example>; Mon, 14 Sep 2026 08:11:12 +0000 (UTC)\n`;

function message(n: number, hops: number, bodyBytes: number): string {
  const fields = Array.from({ length: hops }, (_, i) => field(hops - i)).join('');
  const body = bodyBytes > 0 ? `${'x'.repeat(63)}\n`.repeat(Math.ceil(bodyBytes / 64)) : 'body\n';
  return `From sender${n}@sender.example Mon Sep 14 08:11:12 2026\n${fields}Subject: bench ${n}\nMessage-ID: <bench-${n}@sender.example>\n\n${body}\n`;
}

interface Shape {
  name: string;
  messages: number;
  hops: number;
  bodyBytes: number;
  /** Stop before this many bytes (the 64 MiB shape). */
  maxBytes: number | null;
}

function shapeOf(name: string): Shape {
  if (name === '64MiB') return { name, messages: Number.MAX_SAFE_INTEGER, hops: 60, bodyBytes: 4096, maxBytes: 64 * MiB - 64 * 1024 };
  const m = /^(\d+)x(\d+)$/.exec(name);
  if (m === null) {
    process.stderr.write(`bench: BENCH_SHAPES takes MxN or 64MiB, not ${JSON.stringify(name)}\n`);
    process.exit(2);
  }
  return { name, messages: Number(m[1]), hops: Number(m[2]), bodyBytes: 0, maxBytes: null };
}

/** Writes the shape's mbox; returns its message and hop counts. */
async function writeShape(shape: Shape, file: string): Promise<{ messages: number; hops: number }> {
  const out = createWriteStream(file);
  let bytes = 0;
  let n = 0;
  for (; n < shape.messages; n++) {
    const text = message(n + 1, shape.hops, shape.bodyBytes);
    if (shape.maxBytes !== null && bytes + Buffer.byteLength(text) > shape.maxBytes) break;
    bytes += Buffer.byteLength(text);
    if (!out.write(text)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return { messages: n, hops: n * shape.hops };
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  wallMs: number;
  cpuMs: number;
  maxRssKiB: number;
  outBytes: number;
  stderr: string;
}

function runCli(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--import', RSS_HOOK, BIN, ...args], {
      env: { ...process.env, NO_COLOR: '1', NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let outBytes = 0;
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (outBytes += d.length));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_S * 1000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const mark = stderr.lastIndexOf(RSS_MARK);
      const [rss, cpu] = mark === -1 ? [Number.NaN, Number.NaN] : stderr.slice(mark + RSS_MARK.length).trim().split(' ').map(Number);
      resolve({
        code,
        signal,
        wallMs: performance.now() - started,
        cpuMs: (cpu ?? Number.NaN) / 1000,
        maxRssKiB: rss ?? Number.NaN,
        outBytes,
        stderr: mark === -1 ? stderr : stderr.slice(0, mark),
      });
    });
  });
}

const mb = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;
const pad = (text: string, width: number) => text.padStart(width);

async function main(): Promise<number> {
  if (!existsSync(BIN) || (process.env.BENCH_CLI === undefined && !existsSync(path.join(ROOT, 'dist', 'mxprobe.js')))) {
    process.stderr.write('bench: build first (npm run build), or set BENCH_CLI\n');
    return 1;
  }
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'mxprobe-bench-headers-'));
  let failed = false;
  try {
    console.log(`# mxprobe headers: ${BIN}`);
    console.log(`node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
    console.log('| shape | input | messages | hops | format | exit | wall | CPU | CPU µs/hop | peak RSS | report |');
    console.log('|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|');
    for (const name of SHAPES) {
      const shape = shapeOf(name);
      const file = path.join(tmp, `${name}.mbox`);
      const counts = await writeShape(shape, file);
      const size = statSync(file).size;
      for (const format of ['text', 'json'] as const) {
        const run = await runCli(['headers', ...(format === 'json' ? ['--json'] : []), file]);
        const ok = run.code === 0;
        if (!ok) failed = true;
        const exit = run.signal !== null ? `killed (${TIMEOUT_S} s)` : String(run.code);
        console.log(
          `| ${name} | ${mb(size)} | ${counts.messages} | ${counts.hops} | ${format} | ${exit} | ${pad((run.wallMs / 1000).toFixed(2), 6)} s | ${pad((run.cpuMs / 1000).toFixed(2), 6)} s | ${pad(((run.cpuMs * 1000) / counts.hops).toFixed(1), 6)} | ${pad((run.maxRssKiB / 1024).toFixed(0), 5)} MiB | ${mb(run.outBytes)} |`,
        );
        if (!ok && run.stderr !== '') console.log(`|   | stderr: ${run.stderr.trim().split('\n').slice(-2).join(' / ').slice(0, 200)} |`);
      }
    }
    console.log('\nwall: spawn to exit (other processes on the machine count); CPU: user + system time of the CLI;');
    console.log('peak RSS: maxRSS of the CLI at exit. A run that ends other than with exit 0 is a failure.');
  } finally {
    if (KEEP) console.log(`\n(inputs kept in ${tmp})`);
    else rmSync(tmp, { recursive: true, force: true });
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
