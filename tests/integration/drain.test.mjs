// Graceful drain of `bulwark serve`. Over HTTP: SIGTERM during a 64-connection tools/call load. Readiness turns 503
// "draining" at once, new sessions are refused with 503 + Retry-After, calls on existing sessions are still served
// during the grace period, calls still running at its end are answered with the -32000 shutdown error, the open
// SSE stream ends with a retry hint, and the process exits 0. Every request a worker sent gets an HTTP response:
// none hangs, none is reset. The load is bounded in count (60 calls per worker) and time (the grace period).
// Over stdio: SIGTERM lets a short call finish and answers a long one with the same shutdown error.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  startHttp, finishHttp, initSession, post, req, responseTo, getStream, request, initializeMsg, sleep, withTimeout, WAIT_MS,
} from '../lib/http.mjs';
import { bulwarkBin, killAllSpawned, RawClient, isResponseTo } from '../lib/raw-stdio.mjs';

after(killAllSpawned);

const GRACE_MS = 1500;
const WORKERS = 64;
const LONG_EVERY = 8; // every 8th worker runs a call far longer than the grace period: it must be cancelled
const SHUTDOWN_RE = new RegExp(`^Server shutting down: the request was cancelled after the ${GRACE_MS} ms grace period$`);

const CONFIG = `server: {name: drain, version: "1"}
limits: {workers: 16, shutdown_grace_ms: ${GRACE_MS}}
tools:
  - name: work
    annotations: {readOnlyHint: true}
    input_schema:
      type: object
      properties:
        s: {type: string, pattern: "^[0-9.]+$"}
      required: [s]
    exec:
      command: sleep
      args: ["{{s}}"]
      timeout_ms: 60000
`;

/** One worker: its own session, then tools/call after tools/call (each on a fresh connection) until told to stop. */
async function worker(server, i, state) {
  const { session, version } = await initSession(server);
  const seconds = i % LONG_EVERY === 0 ? '30' : '0.1';
  const outcomes = [];
  for (let n = 0; n < 60 && !state.stop; n++) {
    const m = req('tools/call', { name: 'work', arguments: { s: seconds } });
    const sentAt = Date.now();
    try {
      const r = await post(server, m, { session, version, timeoutMs: GRACE_MS + WAIT_MS });
      const msg = responseTo(r, m.id);
      outcomes.push({ i, sentAt, status: r.status, msg, text: r.text, retryAfter: r.headers['retry-after'] });
      if (r.status !== 200 || msg?.error) break; // the server is going away: stop sending
    } catch (e) {
      outcomes.push({ i, sentAt, failure: e.message });
      break;
    }
  }
  return outcomes;
}

function kind(o) {
  if (o.failure) return 'failure';
  if (o.status === 503) return '503';
  if (o.status === 200 && o.msg?.result && !o.msg.result.isError) return 'result';
  if (o.status === 200 && o.msg?.error?.code === -32000 && SHUTDOWN_RE.test(o.msg.error.message)) return 'shutdown';
  return 'other';
}

test('SIGTERM during a 64-connection load: every request answered, readiness 503, SSE retry hint, exit 0', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bw-drain-'));
  let s;
  try {
    fs.writeFileSync(path.join(dir, 'bulwark.yaml'), CONFIG);
    s = await startHttp({ bin: bulwarkBin(), argv: ['serve', '-c', path.join(dir, 'bulwark.yaml'), '--listen', '127.0.0.1:0'] });
    const { session: sseSession } = await initSession(s);
    const g = await getStream(s, { session: sseSession });
    assert.equal(g.status, 200);

    const state = { stop: false };
    const load = Promise.all(Array.from({ length: WORKERS }, (_, i) => worker(s, i, state)));
    await sleep(800); // every worker initialized and in its first calls; the long ones are running

    const t0 = Date.now();
    process.kill(s.pid, 'SIGTERM');
    const exit = s.exited.then((r) => ({ ...r, at: Date.now() }));

    // At once: readiness says draining, new sessions are refused, liveness still answers. "At once" is as soon as the
    // server has seen the signal — delivery is asynchronous (the handler wakes the main thread through a pipe), and a
    // loaded (sanitizer) build may answer a probe sent right after kill() first: allow it 1 s.
    let ready = await request(s, { method: 'GET', path: '/health/ready' });
    for (const until = Date.now() + 1000; ready.status === 200 && Date.now() < until; await sleep(5))
      ready = await request(s, { method: 'GET', path: '/health/ready' });
    assert.equal(ready.status, 503, ready.text);
    assert.equal(ready.json?.status, 'draining', ready.text);
    assert.equal(ready.headers['cache-control'], 'no-store');
    const live = await request(s, { method: 'GET', path: '/health/live' });
    assert.equal(live.status, 200, live.text);
    const init = await post(s, initializeMsg());
    assert.equal(init.status, 503, init.text);
    assert.equal(init.headers['retry-after'], '1');
    assert.equal(init.json?.error?.code, -32000, init.text);
    assert.ok(Date.now() - t0 < GRACE_MS, `the drain checks ran within the grace period (${Date.now() - t0} ms)`);

    // Keep the load on for half the grace period, then stop sending: what is in flight must still be answered.
    await sleep(GRACE_MS / 2 - (Date.now() - t0));
    state.stop = true;
    const outcomes = (await withTimeout(load, GRACE_MS + 2 * WAIT_MS, 'every worker got its answers')).flat();
    const st = await withTimeout(exit, WAIT_MS, 'the process exits');
    const drainMs = st.at - t0;

    const byKind = {};
    for (const o of outcomes) (byKind[kind(o)] ??= []).push(o);
    const counts = Object.fromEntries(Object.entries(byKind).map(([k, v]) => [k, v.length]));
    t.diagnostic(`drain time ${drainMs} ms (grace ${GRACE_MS} ms); ${outcomes.length} requests: ${JSON.stringify(counts)}`);

    assert.deepEqual(byKind.failure ?? [], [], 'no request hung or was reset');
    assert.deepEqual((byKind.other ?? []).map((o) => o.text.slice(0, 300)), [], 'every answer is a result, the shutdown error or a 503');
    for (const o of byKind['503'] ?? []) assert.equal(o.retryAfter, '1', `503 carries Retry-After: ${o.text}`);
    const longOnes = outcomes.filter((o) => o.i % LONG_EVERY === 0);
    assert.equal(longOnes.length, WORKERS / LONG_EVERY, 'one call per long worker');
    for (const o of longOnes) assert.equal(kind(o), 'shutdown', `a call running past the grace is cancelled and answered: ${o.text ?? o.failure}`);
    const servedDuringGrace = (byKind.result ?? []).filter((o) => o.sentAt > t0);
    assert.ok(servedDuringGrace.length > 0, 'calls sent on existing sessions after SIGTERM were served');

    assert.equal(st.code, 0, `exit status (stderr: ${s.stderr.slice(-1000)})`);
    assert.ok(drainMs >= GRACE_MS, `the long calls kept the server in its grace period (${drainMs} ms)`);
    // Generous: grace + the cancelled calls' answers + 200 ms for the streams, on a loaded 2-core machine under ASan.
    assert.ok(drainMs < GRACE_MS + 8000, `drained in ${drainMs} ms`);
    assert.ok(await g.sse.endsWithin(WAIT_MS), 'the GET stream ended');
    assert.match(g.sse.raw, /(^|\n)retry: \d+\n/, `the GET stream ended with a retry hint: ${JSON.stringify(g.sse.raw.slice(-200))}`);
    s.assertNoSanitizerReport();
  } finally {
    if (s?.running) await finishHttp(s);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('stdio: SIGTERM → the short call finishes, the long one gets the shutdown error, exit 0', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bw-drain-'));
  let c;
  try {
    fs.writeFileSync(path.join(dir, 'bulwark.yaml'), CONFIG);
    c = new RawClient(bulwarkBin(), ['serve', '-c', path.join(dir, 'bulwark.yaml'), '--stdio']);
    await c.initialize();
    const short = c.waitFor(isResponseTo('short'), WAIT_MS, { label: 'the short call' });
    const long = c.waitFor(isResponseTo('long'), GRACE_MS + WAIT_MS, { label: 'the long call' });
    c.send({ jsonrpc: '2.0', id: 'long', method: 'tools/call', params: { name: 'work', arguments: { s: '30' } } });
    c.send({ jsonrpc: '2.0', id: 'short', method: 'tools/call', params: { name: 'work', arguments: { s: '0.5' } } });
    await c.assertAlive(); // both calls were read
    const t0 = Date.now();
    process.kill(c.pid, 'SIGTERM');
    const s = await short;
    assert.ok(s.result && !s.result.isError, JSON.stringify(s));
    const l = await long;
    assert.equal(l.error?.code, -32000, JSON.stringify(l));
    assert.match(l.error.message, SHUTDOWN_RE);
    const st = await withTimeout(c.exited, WAIT_MS, 'exit');
    assert.equal(st.code, 0, c.stderr);
    assert.ok(Date.now() - t0 >= GRACE_MS - 50, 'the grace period was given');
    c.assertCleanStdout();
  } finally {
    c?.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
