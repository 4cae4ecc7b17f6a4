#!/usr/bin/env node
// Runs the official MCP conformance suite (@modelcontextprotocol/conformance 0.1.16, server mode, --suite all:
// 32 scenarios) against bulwark-everything over Streamable HTTP, and judges every check itself.
//
//   node conformance/run-0.1.mjs [--stateless] [--bin PATH] [--keep] [--scenario NAME]   (cwd: tests/)
//
// 1. starts `BULWARK_EVERYTHING --listen 127.0.0.1:0 [--stateless]` and reads the URL from its ready line;
// 2. runs `conformance server --url URL --suite all -o DIR --expected-failures BASELINE`, where BASELINE lists
//    exactly the scenarios expected not to pass (none for the stateful server; see STATELESS_NOT_APPLICABLE).
//    With a baseline the CLI counts a scenario with any FAILURE *or* WARNING as failed and exits 1 on a failure
//    that is not listed *and* on a listed scenario that passed;
// 3. parses every DIR/server-<scenario>-<timestamp>/checks.json and lists each FAILURE/WARNING check;
// 4. stops the server by pid with SIGTERM and checks it exits 0 (no sanitizer report).
// Exit status 0 iff: the CLI exited 0, every scenario of the suite produced checks.json, the set of scenarios with a
// FAILURE/WARNING equals the expected set exactly, and the server exited cleanly.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startHttp, SANITIZE } from '../lib/http.mjs';
import { everythingBin, runCommand, TESTS_DIR } from '../lib/raw-stdio.mjs';

export const CONFORMANCE_CLI = path.join(TESTS_DIR, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
export const CONFORMANCE_VERSION = '0.1.16';

/** Every server scenario of 0.1.16 `--suite all` (from `conformance list --server`). */
export const ALL_SCENARIOS = [
  'server-initialize', 'logging-set-level', 'ping', 'completion-complete', 'tools-list', 'tools-call-simple-text',
  'tools-call-image', 'tools-call-audio', 'tools-call-embedded-resource', 'tools-call-mixed-content',
  'tools-call-with-logging', 'tools-call-error', 'tools-call-with-progress', 'tools-call-sampling',
  'tools-call-elicitation', 'json-schema-2020-12', 'elicitation-sep1034-defaults', 'server-sse-polling',
  'server-sse-multiple-streams', 'elicitation-sep1330-enums', 'resources-list', 'resources-read-text',
  'resources-read-binary', 'resources-templates-read', 'resources-subscribe', 'resources-unsubscribe',
  'prompts-list', 'prompts-get-simple', 'prompts-get-with-args', 'prompts-get-embedded-resource',
  'prompts-get-with-image', 'dns-rebinding-protection',
];

/**
 * Scenarios that cannot pass against `--stateless`, and why. Everything else must pass with no FAILURE and no
 * WARNING there too.
 */
export const STATELESS_NOT_APPLICABLE = {
  // Server→client requests: the client's answer comes back on a *separate* POST that the server must route to the
  // call waiting for it, and the client's capabilities come from an initialize the server no longer remembers.
  // Stateless, every POST stands alone, so the tool answers isError "capability missing" and the scenario's
  // check ("the client's sampling/elicitation handler was invoked") is a FAILURE.
  'tools-call-sampling': 'sampling/createMessage needs a session (capabilities + answer routed by a later POST)',
  'tools-call-elicitation': 'elicitation/create needs a session',
  'elicitation-sep1034-defaults': 'elicitation/create needs a session',
  'elicitation-sep1330-enums': 'elicitation/create needs a session',
  // SEP-1699 scenarios begin by requiring an Mcp-Session-Id after initialize: without one they record
  // WARNING "server did not provide session ID" (multiple-streams then stops). Resuming a stream with GET +
  // Last-Event-ID needs a session's event store, and GET is 405 in stateless mode.
  'server-sse-polling': 'no Mcp-Session-Id → WARNING; resumption (GET + Last-Event-ID) needs a session',
  'server-sse-multiple-streams': 'no Mcp-Session-Id → WARNING, the scenario stops',
};

/** A scenario's results directory, server-<scenario>-<ISO time, ':' and '.' as '-'> (also read by run-0.2.mjs). */
export const DIR_RE = /^server-(.+)-(\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z)$/;

/** Parse DIR/server-<scenario>-<ts>/checks.json → Map(scenario → checks[]). */
export function readResults(dir) {
  const out = new Map();
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!ent.isDirectory()) continue;
    const m = DIR_RE.exec(ent.name);
    if (!m) continue;
    const file = path.join(dir, ent.name, 'checks.json');
    let checks;
    try {
      checks = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      checks = [{ id: 'unreadable-checks-json', status: 'FAILURE', errorMessage: `${file}: ${e.message}` }];
    }
    if (out.has(m[1])) out.get(m[1]).push(...checks);
    else out.set(m[1], checks);
  }
  return out;
}

function runCli(args, timeoutMs) {
  return runCommand(process.execPath, [CONFORMANCE_CLI, ...args], { cwd: TESTS_DIR, timeoutMs });
}

/**
 * Run the suite. Options: stateless (bool), bin, expected (scenario names expected to FAIL/WARN; default [] or
 * the STATELESS_NOT_APPLICABLE keys), scenario (run one), keep (keep the output dir), cliTimeoutMs, log (fn).
 * Resolves a report: {ok, problems[], url, cli, results (Map), bad (Map scenario → failing checks), expected,
 * missing[], outDir, serverExit}.
 */
export async function runConformance(opts = {}) {
  const log = opts.log ?? (() => {});
  const stateless = !!opts.stateless;
  const expected = opts.expected ?? (stateless ? Object.keys(STATELESS_NOT_APPLICABLE) : []);
  const scenarios = opts.scenario ? [opts.scenario] : ALL_SCENARIOS;
  const cliTimeoutMs = opts.cliTimeoutMs ?? (SANITIZE ? 420_000 : 240_000);
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), `bw-conformance-${stateless ? 'stateless-' : ''}`));
  const resultsDir = path.join(outDir, 'results');
  const baseline = path.join(outDir, 'expected-failures.yml');
  fs.writeFileSync(baseline, `# scenarios expected to have a FAILURE or WARNING\nserver:${expected.length ? '' : ' []'}\n` +
    expected.map((s) => `  - ${s}\n`).join(''));

  const problems = [];
  const server = await startHttp({ bin: opts.bin ?? everythingBin(), args: stateless ? ['--stateless'] : [] });
  log(`server pid ${server.pid}: ${server.readyLine}`);
  let cli;
  let serverExit;
  try {
    const args = ['server', '--url', server.url, '-o', resultsDir, '--expected-failures', baseline];
    if (opts.scenario) args.push('--scenario', opts.scenario);
    else args.push('--suite', 'all');
    log(`conformance ${CONFORMANCE_VERSION}: ${args.join(' ')}`);
    cli = await runCli(args, cliTimeoutMs);
  } finally {
    serverExit = await server.stop('SIGTERM');
  }

  if (cli.timedOut) problems.push(`the conformance CLI did not finish within ${cliTimeoutMs} ms (killed)`);
  if (cli.code !== 0) problems.push(`the conformance CLI exited ${cli.code} (signal ${cli.signal}); with the baseline that means an unexpected failure/warning or a stale expectation`);

  const results = fs.existsSync(resultsDir) ? readResults(resultsDir) : new Map();
  const missing = scenarios.filter((s) => !results.has(s));
  if (missing.length) problems.push(`no checks.json for: ${missing.join(', ')}`);
  const bad = new Map();
  for (const [scenario, checks] of results) {
    const b = checks.filter((c) => c.status === 'FAILURE' || c.status === 'WARNING');
    if (b.length) bad.set(scenario, b);
    if (!checks.some((c) => c.status === 'SUCCESS' || c.status === 'FAILURE' || c.status === 'WARNING')) {
      // A scenario that only produced INFO/SKIPPED checks proves nothing; say so (not a failure by itself).
      log(`note: ${scenario} produced only INFO/SKIPPED checks`);
    }
  }
  const unexpected = [...bad.keys()].filter((s) => !expected.includes(s));
  const stale = expected.filter((s) => scenarios.includes(s) && results.has(s) && !bad.has(s));
  for (const s of unexpected) {
    problems.push(`${s}: ` + bad.get(s).map((c) => `${c.status} ${c.id}: ${c.errorMessage ?? c.description ?? ''}` +
      (c.details ? ` details=${JSON.stringify(c.details).slice(0, 600)}` : '')).join(' | '));
  }
  for (const s of stale) problems.push(`${s}: expected not to pass (${STATELESS_NOT_APPLICABLE[s] ?? 'listed as expected'}) but it passed`);

  if (!serverExit.wasRunning) problems.push(`the server died during the run (exit code ${serverExit.code}, signal ${serverExit.signal})`);
  else if (serverExit.timedOut) problems.push('the server did not exit within the timeout after SIGTERM (killed)');
  else if (serverExit.code !== 0) problems.push(`the server exited with ${serverExit.code} (signal ${serverExit.signal}) after SIGTERM`);
  const report = server.sanitizerReport();
  if (report) problems.push(`sanitizer report on the server's stderr:\n${report}`);

  const ok = problems.length === 0;
  if (ok && !opts.keep) fs.rmSync(outDir, { recursive: true, force: true });
  return {
    ok, problems, url: server.url, cli, results, bad, expected, missing, unexpected, stale, outDir: ok && !opts.keep ? null : outDir,
    serverExit, serverStderr: server.stderr,
  };
}

/** A human-readable summary of a report. */
export function formatReport(rep) {
  const lines = [];
  let checks = 0;
  let pass = 0;
  for (const [, cs] of rep.results) {
    checks += cs.length;
    pass += cs.filter((c) => c.status === 'SUCCESS').length;
  }
  lines.push(`conformance ${CONFORMANCE_VERSION} against ${rep.url}: ${rep.results.size} scenarios, ${pass}/${checks} checks SUCCESS`);
  for (const s of [...rep.results.keys()].sort()) {
    const b = rep.bad.get(s);
    const tag = b ? (rep.expected.includes(s) ? 'expected-not-applicable' : 'FAIL') : 'ok';
    lines.push(`  ${tag.padEnd(24)} ${s}${b ? ': ' + b.map((c) => `${c.status} ${c.id}`).join(', ') : ''}`);
  }
  if (rep.problems.length) {
    lines.push('PROBLEMS:');
    for (const p of rep.problems) lines.push(`  - ${p}`);
    lines.push(`-- conformance CLI stdout (tail) --\n${rep.cli?.stdout.slice(-5000) ?? ''}`);
    if (rep.cli?.stderr) lines.push(`-- conformance CLI stderr (tail) --\n${rep.cli.stderr.slice(-3000)}`);
    lines.push(`-- server stderr (tail) --\n${rep.serverStderr.slice(-2000)}`);
    if (rep.outDir) lines.push(`results kept in ${rep.outDir}`);
  }
  return lines.join('\n');
}

async function main() {
  const argv = process.argv.slice(2);
  const opts = { log: (s) => console.error(s) };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--stateless') opts.stateless = true;
    else if (a === '--keep') opts.keep = true;
    else if (a === '--bin') opts.bin = path.resolve(argv[++i]);
    else if (a === '--scenario') opts.scenario = argv[++i];
    else {
      console.error(`usage: node ${path.relative(process.cwd(), fileURLToPath(import.meta.url))} [--stateless] [--bin PATH] [--keep] [--scenario NAME]`);
      process.exit(2);
    }
  }
  const rep = await runConformance(opts);
  console.log(formatReport(rep));
  process.exit(rep.ok ? 0 : 1);
}

if (process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
