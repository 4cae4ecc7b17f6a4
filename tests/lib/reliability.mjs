// Shared helpers of the reliability (policy layer) fault-injection tests: a temporary directory per test file, a
// `bulwark serve -c` on a generated configuration (stdio through RawClient, so the exact result bytes — _meta,
// isError, error codes — are visible), tools/call with the client-measured elapsed time, and small readers for the
// files the fault scripts in tests/fixtures/reliability write.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RawClient, bulwarkBin, runCommand, TESTS_DIR, CLIENT_INFO, LATEST, WAIT_MS } from './raw-stdio.mjs';
import { SANITIZE, sleep } from './http.mjs';

export { SANITIZE, sleep };
export const FAULTS = path.join(TESTS_DIR, 'fixtures', 'reliability');

/**
 * Extra time a timing assertion allows beyond what the issue demands, for process start-up and scheduling on a
 * loaded 2-core machine; larger under ASan (every fork/exec and allocation is several times slower there).
 * BW_RELIABILITY_SLACK_MS overrides it.
 */
export const SLACK_MS = Number(process.env.BW_RELIABILITY_SLACK_MS) || (SANITIZE ? 250 : 0);

/** A fresh temporary directory; removed by rmTmp. */
export function makeTmp(tag) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `bulwark-rel-${tag}-`));
}

export function rmTmp(dir) {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

/** Writes a configuration (a `server:` head is prepended) into dir and returns its path. */
export function writeConfig(dir, body, name = 'bulwark.yaml') {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `server:\n  name: reliability-test\n  version: 1.0.0\n${body}`);
  return file;
}

/**
 * `bulwark check -c file`: asserts the configuration is accepted, so a missing key in the implementation fails with
 * the checker's own message instead of a confusing serve failure.
 */
export async function assertConfigValid(file) {
  const r = await runCommand(bulwarkBin(), ['check', '-c', file], { cwd: path.dirname(file) });
  assert.equal(r.code, 0, `bulwark check -c ${path.basename(file)} → exit 0 (stderr: ${r.stderr.slice(0, 1500)})`);
}

/** `bulwark serve -c file --stdio`, initialized (as clientInfo `clientName`, default bulwark-tests). */
export async function serveStdio(file, clientName = CLIENT_INFO.name) {
  const c = new RawClient(bulwarkBin(), ['serve', '-c', file, '--stdio'], { env: { ASAN_OPTIONS: asanOptions() } });
  await c.call('initialize', {
    protocolVersion: LATEST, capabilities: {}, clientInfo: { name: clientName, version: '0.0.0' },
  });
  await c.notify('notifications/initialized');
  return c;
}

function asanOptions() {
  return process.env.ASAN_OPTIONS ?? 'detect_leaks=1:abort_on_error=1';
}

/**
 * Sends tools/call and resolves {msg, ms, start, end}: the whole response message (result or error) and the time from
 * writing the request to reading the response, measured here in the client (start/end: performance.now() values, to
 * order answers of concurrent calls). meta is params._meta.
 */
export async function timedCall(c, name, args = {}, meta = undefined, timeout = WAIT_MS) {
  const params = { name, arguments: args };
  if (meta !== undefined) params._meta = meta;
  const t0 = performance.now();
  const msg = await c.request('tools/call', params, { timeout });
  const end = performance.now();
  return { msg, ms: Math.round(end - t0), start: t0, end };
}

/** tools/call that asserts a JSON-RPC result (not an error) and returns the CallToolResult. */
export async function callResult(c, name, args = {}, meta = undefined) {
  const { msg } = await timedCall(c, name, args, meta);
  assert.ok('result' in msg, `tools/call ${name}: expected a result, got ${JSON.stringify(msg)}`);
  return msg.result;
}

/** All text blocks of a CallToolResult. */
export function texts(result) {
  return (result?.content ?? []).filter((b) => b.type === 'text').map((b) => b.text);
}

/** Compact JSON of a message, for assertion messages (the observed bytes). */
export function show(x) {
  const s = JSON.stringify(x);
  return s.length > 1500 ? `${s.slice(0, 1500)}…` : s;
}

/** Asserts the CallToolResult is a tool error (isError true) whose first text is exactly `text` (or matches it). */
export function assertToolError(result, text, what = '') {
  assert.equal(result?.isError, true, `${what} isError true: ${show(result)}`);
  const t = texts(result)[0];
  if (text instanceof RegExp) assert.match(t ?? '', text, `${what} error text: ${show(result)}`);
  else assert.equal(t, text, `${what} error text: ${show(result)}`);
}

/** Asserts a successful CallToolResult (isError absent or false). */
export function assertToolOk(result, what = '') {
  assert.ok(result && result.isError !== true, `${what} expected success: ${show(result)}`);
}

/** The policy layer's _meta member `io.bulwark/<key>` of a result (undefined when absent). */
export function bwMeta(result, key) {
  return result?._meta?.[`io.bulwark/${key}`];
}

/** Integer counter written by flaky.sh / hang_once.sh (0 when the file does not exist). */
export function readCount(dir) {
  try {
    return Number(fs.readFileSync(path.join(dir, 'count'), 'utf8').trim());
  } catch {
    return 0;
  }
}

/** Lines of a file (0 lines when it does not exist). */
export function lines(file) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
  } catch {
    return [];
  }
}

/** True when the process is gone (or a zombie waiting to be reaped by whoever adopted it). */
export function gone(pid) {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return e.code === 'ESRCH';
  }
  try {
    return /\) [ZX] /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** Polls cond() every 10 ms until it holds or timeoutMs passes; returns whether it held. */
export async function eventually(cond, timeoutMs = 2000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (cond()) return true;
    if (Date.now() >= end) return false;
    await sleep(10);
  }
}

/** Reads a pid file once it exists (written atomically by the fault scripts). */
export async function readPid(file, timeoutMs = WAIT_MS) {
  const ok = await eventually(() => fs.existsSync(file), timeoutMs);
  assert.ok(ok, `${file} was written`);
  return Number(fs.readFileSync(file, 'utf8').trim());
}

/** Kills a leftover fault-script process (by pid) at the end of a test, should the server have missed it. */
export function reap(pid) {
  if (pid && !gone(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}
