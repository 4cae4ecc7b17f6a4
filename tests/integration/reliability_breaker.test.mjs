// Circuit breakers end to end (issue 6, "Circuit breaker"): per dependency, closed → open after
// failure_threshold consecutive failures → fail fast (isError "Tool <name> is temporarily unavailable: <dependency>
// is failing (circuit open); retry after <S> s", _meta io.bulwark/retryAfterMs) without touching the dependency →
// half-open after open_ms, admitting half_open_calls probes → closed after a successful probe, or open again after a
// failed one. Against the fault HTTP server (its request count proves nothing reached it while open) and against an
// exec dependency (its call log proves the same). The time to fail fast is printed (t.diagnostic) for the report.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { killAllSpawned, finish, bulwarkBin } from '../lib/raw-stdio.mjs';
import { startHttp, finishHttp, initSession, rpc, request } from '../lib/http.mjs';
import { startFaultServer } from '../lib/fault_server.mjs';
import {
  FAULTS, makeTmp, rmTmp, writeConfig, assertConfigValid, serveStdio, timedCall, callResult, assertToolError,
  assertToolOk, bwMeta, show, sleep, lines,
} from '../lib/reliability.mjs';

const OPEN_MS = 1000;
let tmp;
let fault;
let c;

function config() {
  // Only the consecutive threshold (3) opens these: the rate rule cannot reach min_calls 1000.
  const breaker = `{failure_threshold: 3, failure_rate: 1.0, min_calls: 1000, open_ms: ${OPEN_MS}, ` +
    'half_open_calls: 1, success_threshold: 1}';
  return `
reliability:
  defaults:
    retry: {max_attempts: 1}
  health: {tools: true}
  dependencies:
    "${fault.base}":
      breaker: ${breaker}
    "exec:flaky":
      breaker: ${breaker}
    "exec:rated":
      breaker: {failure_threshold: 100, failure_rate: 0.5, window_ms: 30000, min_calls: 4, open_ms: 60000}
tools:
  - name: get
    annotations: {readOnlyHint: true}
    http: {url: "${fault.base}/item"}
  - name: get_other
    annotations: {readOnlyHint: true}
    http: {url: "${fault.base}/other"}
  - name: flaky
    annotations: {readOnlyHint: true}
    exec: {command: ${FAULTS}/dep.sh, args: ["${tmp}/flaky"]}
    policy: {dependency: "exec:flaky"}
  - name: rated
    annotations: {readOnlyHint: true}
    exec: {command: ${FAULTS}/dep.sh, args: ["${tmp}/rated"]}
    policy: {dependency: "exec:rated"}
`;
}

before(async () => {
  tmp = makeTmp('breaker');
  fs.mkdirSync(path.join(tmp, 'flaky'));
  fs.mkdirSync(path.join(tmp, 'rated'));
  fault = await startFaultServer();
  const file = writeConfig(tmp, config());
  await assertConfigValid(file);
  c = await serveStdio(file);
});

after(async () => {
  await finish(c);
  await fault?.close();
  rmTmp(tmp);
});
after(killAllSpawned);

const OPEN_RE = (tool, dep) => new RegExp(`^Tool ${tool} is temporarily unavailable: ${dep.replace(/[.:/]/g, '\\$&')} ` +
  'is failing \\(circuit open\\); retry after (\\d+) s$');

/** Asserts a fail-fast answer; returns {ms, retryAfterMs, seconds}. */
async function expectOpen(t, tool, dep, openMs = OPEN_MS) {
  const { msg, ms } = await timedCall(c, tool, {});
  assert.ok('result' in msg, `an isError result, not a JSON-RPC error: ${show(msg)}`);
  assertToolError(msg.result, OPEN_RE(tool, dep), 'circuit open');
  const seconds = Number(OPEN_RE(tool, dep).exec(msg.result.content[0].text)[1]);
  const retryAfterMs = bwMeta(msg.result, 'retryAfterMs');
  assert.ok(Number.isInteger(retryAfterMs) && retryAfterMs > 0 && retryAfterMs <= openMs,
    `_meta io.bulwark/retryAfterMs in (0, ${openMs}]: ${show(msg.result)}`);
  assert.equal(seconds, Math.ceil(retryAfterMs / 1000), `"retry after ${seconds} s" is retryAfterMs rounded up`);
  t.diagnostic(`${tool}: failed fast in ${ms} ms (retryAfterMs ${retryAfterMs})`);
  return { ms, retryAfterMs, seconds };
}

async function openHttpBreaker() {
  fault.setMode('fail');
  for (let i = 1; i <= 3; i++) {
    const r = await callResult(c, 'get');
    assertToolError(r, /^HTTP 500 Internal Server Error: /, `failure ${i} reaches the dependency`);
  }
}

describe('circuit breaker on an HTTP dependency', () => {
  test('closed → open after 3 failures; fail fast with no request; half-open probe; closed', async (t) => {
    const n0 = fault.count;
    await openHttpBreaker();
    assert.equal(fault.count - n0, 3, 'three failing requests while closed');
    const openedAt = Date.now();

    // Open: every tool on this dependency fails fast, and the dependency sees nothing.
    await expectOpen(t, 'get', fault.base);
    await expectOpen(t, 'get_other', fault.base);
    for (let i = 0; i < 5; i++) await expectOpen(t, 'get', fault.base);
    assert.equal(fault.count - n0, 3, 'no request reached the dependency while the circuit was open');

    // Half-open after open_ms: one probe goes through; it succeeds, so the breaker closes.
    fault.setMode('ok');
    await sleep(Math.max(0, OPEN_MS + 100 - (Date.now() - openedAt)));
    const probe = await callResult(c, 'get');
    assertToolOk(probe, 'the half-open probe');
    assert.equal(probe.structuredContent?.ok, true, show(probe));
    assert.equal(fault.count - n0, 4, 'exactly the probe reached the dependency');
    for (let i = 0; i < 3; i++) assertToolOk(await callResult(c, 'get'), `closed again, call ${i + 1}`);
    assert.equal(fault.count - n0, 7);
  });

  test('a failed half-open probe opens the circuit again', async (t) => {
    await openHttpBreaker();
    const openedAt = Date.now();
    await expectOpen(t, 'get', fault.base);
    await sleep(Math.max(0, OPEN_MS + 100 - (Date.now() - openedAt)));
    const n0 = fault.count;
    const probe = await callResult(c, 'get');
    assertToolError(probe, /^HTTP 500 /, 'the probe reached the still-failing dependency');
    assert.equal(fault.count - n0, 1);
    const again = await expectOpen(t, 'get', fault.base);
    assert.ok(again.retryAfterMs > OPEN_MS - 500, `a full open period again (${again.retryAfterMs} ms left)`);
    assert.equal(fault.count - n0, 1, 'no request while open again');
    // Recover for the next test.
    fault.setMode('ok');
    await sleep(OPEN_MS + 100);
    assertToolOk(await callResult(c, 'get'), 'probe after recovery');
  });

  test('half-open admits half_open_calls (1) probe at a time; the others fail fast meanwhile', async (t) => {
    await openHttpBreaker();
    const openedAt = Date.now();
    fault.setMode('slow', { delayMs: 600 });
    await sleep(Math.max(0, OPEN_MS + 100 - (Date.now() - openedAt)));
    const n0 = fault.count;
    const probe = timedCall(c, 'get', {});
    await fault.waitUntil((f) => f.count > n0, 3000, 'the probe to reach the dependency');
    const others = await Promise.all([timedCall(c, 'get', {}), timedCall(c, 'get_other', {})]);
    for (const o of others) {
      assert.ok('result' in o.msg, show(o.msg));
      assertToolError(o.msg.result, /is failing \(circuit (open|half-open)\); retry after \d+ s$/, 'while the probe runs');
    }
    const p = await probe;
    assertToolOk(p.msg.result, 'the slow probe succeeds');
    assert.equal(fault.count - n0, 1, 'only the probe reached the dependency');
    t.diagnostic(`calls rejected during the probe answered in ${others.map((o) => o.ms).join(', ')} ms`);
    fault.setMode('ok');
    assertToolOk(await callResult(c, 'get'), 'closed after the probe');
  });
});

/** The breaker of `dep` as the get-metrics tool reports it (reliability.health.tools: true). */
async function breakerState(dep) {
  const r = await callResult(c, 'get-metrics');
  const d = r.structuredContent?.dependencies?.[dep];
  assert.ok(d, `get-metrics reports dependency ${dep}: ${show(r).slice(0, 600)}`);
  return d;
}

describe('circuit breaker on an exec dependency', () => {
  test('closed → open → half-open → closed; the program is not run while open', async (t) => {
    const d = path.join(tmp, 'flaky');
    const calls = () => lines(path.join(d, 'calls')).length;
    const s0 = await breakerState('exec:flaky');
    assert.equal(s0.state, 'closed');
    fs.writeFileSync(path.join(d, 'mode'), 'fail');
    for (let i = 0; i < 3; i++) assertToolError(await callResult(c, 'flaky'), /^exit status 75: dependency down/);
    const openedAt = Date.now();
    assert.equal(calls(), 3);
    for (let i = 0; i < 3; i++) await expectOpen(t, 'flaky', 'exec:flaky');
    assert.equal(calls(), 3, 'the program did not run while the circuit was open');
    const s1 = await breakerState('exec:flaky');
    assert.deepEqual([s1.state, s1.opened - s0.opened], ['open', 1], show(s1));
    fs.writeFileSync(path.join(d, 'mode'), 'ok');
    fs.writeFileSync(path.join(d, 'value'), 'back');
    await sleep(Math.max(0, OPEN_MS + 100 - (Date.now() - openedAt)));
    assert.equal((await breakerState('exec:flaky')).state, 'half_open', 'half-open once open_ms passed');
    const probe = await callResult(c, 'flaky');
    assertToolOk(probe, 'the probe');
    assert.match(probe.content[0].text, /^value=back /);
    assert.equal(calls(), 4);
    const s3 = await breakerState('exec:flaky');
    assert.deepEqual([s3.state, s3.transitions - s0.transitions], ['closed', 3],
      `closed → open → half-open → closed: ${show(s3)}`);
    assertToolOk(await callResult(c, 'flaky'), 'closed');
    assert.equal(calls(), 5);
  });

  test('permanent failures (exit 3) do not open the circuit', async () => {
    const d = path.join(tmp, 'flaky');
    const calls = () => lines(path.join(d, 'calls')).length;
    fs.writeFileSync(path.join(d, 'mode'), 'perm');
    const n0 = calls();
    for (let i = 0; i < 5; i++) assertToolError(await callResult(c, 'flaky'), /^exit status 3: bad request/);
    assert.equal(calls() - n0, 5, 'every call ran the program');
    fs.writeFileSync(path.join(d, 'mode'), 'ok');
    assertToolOk(await callResult(c, 'flaky'));
  });
});

describe('circuit breaker failure rate', () => {
  test('opens when failures / calls in the window reach failure_rate once min_calls calls were seen', async (t) => {
    const d = path.join(tmp, 'rated');
    const calls = () => lines(path.join(d, 'calls')).length;
    const mode = (m) => fs.writeFileSync(path.join(d, 'mode'), m);
    // A flapping dependency: ok, fail, ok, fail. Never two failures in a row (the consecutive threshold is 100);
    // after 3 calls 1/3 failed and min_calls (4) is not reached, so the 4th call still runs.
    mode('flap');
    assertToolOk(await callResult(c, 'rated'), 'call 1');
    assertToolError(await callResult(c, 'rated'), /^exit status 75: /, 'call 2');
    assertToolOk(await callResult(c, 'rated'), 'call 3');
    assertToolError(await callResult(c, 'rated'), /^exit status 75: /, 'the 4th call still runs');
    assert.equal(calls(), 4);
    // 2 failures of 4 calls = 0.5: open.
    mode('ok');
    await expectOpen(t, 'rated', 'exec:rated', 60000);
    assert.equal(calls(), 4, 'the program did not run: the failure rate opened the circuit');
  });
});

describe('an open breaker of a required dependency fails readiness', () => {
  let srv;
  let dep;

  before(async () => {
    dep = await startFaultServer();
    const file = writeConfig(tmp, `
reliability:
  defaults: {retry: {max_attempts: 1}}
  health: {interval_ms: 100}
  dependencies:
    "${dep.base}":
      required: true
      breaker: {failure_threshold: 2, failure_rate: 1.0, min_calls: 1000, open_ms: ${OPEN_MS}}
tools:
  - name: get
    annotations: {readOnlyHint: true}
    http: {url: "${dep.base}/item"}
`, 'required.yaml');
    await assertConfigValid(file);
    srv = await startHttp({ bin: bulwarkBin(), argv: ['serve', '-c', file, '--listen', '127.0.0.1:0'] });
  });

  after(async () => {
    await finishHttp(srv);
    await dep?.close();
  });

  /** Polls /health/ready (every 50 ms, at most ms) until its status is `status`; returns the last response. */
  async function readyBecomes(status, ms) {
    const until = Date.now() + ms;
    for (;;) {
      const r = await request(srv, { method: 'GET', path: '/health/ready' });
      if (r.status === status || Date.now() > until) return r;
      await sleep(50);
    }
  }

  test('/health/ready: 200 → 503 while the circuit is open → 200 after a successful probe', async () => {
    assert.equal((await readyBecomes(200, 5000)).status, 200, 'ready at first');
    const { session, version } = await initSession(srv);
    const call = async () => (await rpc(srv, session, 'tools/call', { name: 'get', arguments: {} }, { version })).msg.result;
    dep.setMode('fail');
    for (let i = 0; i < 2; i++) assertToolError(await call(), /^HTTP 500 /);
    const openedAt = Date.now();
    const notReady = await readyBecomes(503, 1000);
    assert.equal(notReady.status, 503, `not ready while open: ${notReady.text}`);
    assert.ok(notReady.text.includes(dep.base), `the document names the dependency: ${notReady.text}`);
    dep.setMode('ok');
    await sleep(Math.max(0, OPEN_MS + 100 - (Date.now() - openedAt)));
    assertToolOk(await call(), 'the half-open probe');
    const ready = await readyBecomes(200, 2000);
    assert.equal(ready.status, 200, `ready again once closed: ${ready.text}`);
  });
});
