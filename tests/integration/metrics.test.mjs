// GET /metrics (issue 7, "Metrics"): known traffic from the official SDK client over Streamable HTTP, then the
// exposition is parsed strictly (tests/lib/prometheus.mjs: every line, TYPE before samples, no duplicate series)
// and exact values are asserted — requests by method and status, tool calls by tool and status, error types, a
// timed-out call's histogram buckets, histogram _count/_sum/bucket consistency for every series, names that are not
// registered tools and tools past max_tools collapsing into tool="_other", the pool, session, SSE-stream, readiness
// and process gauges, breaker states 0/1/2 — and that no secret sent in arguments or tool names ever shows.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startHttp, finishHttp } from '../lib/http.mjs';
import { connectStreamable } from '../lib/http-sdk.mjs';
import { bulwarkBin, killAllSpawned } from '../lib/raw-stdio.mjs';
import { FAULTS, makeTmp, rmTmp, writeConfig, assertConfigValid, eventually, reap, readPid } from '../lib/reliability.mjs';
import { parseExposition, checkHistograms, scrape } from '../lib/prometheus.mjs';
import { checkConfigIn } from '../lib/config.mjs';

const SECRET = 'hunter2-Sup3rSecret-4242';
const WAIT = 15000;

async function metrics(server) {
  const r = await scrape(server.base);
  assert.equal(r.status, 200, r.text.slice(0, 500));
  assert.match(r.contentType ?? '', /^text\/plain; version=0\.0\.4/);
  return { text: r.text, expo: parseExposition(r.text) };
}

/** Scrapes until pred(expo) holds (bounded); returns the last exposition. */
async function metricsUntil(server, pred, what, timeoutMs = WAIT) {
  const end = Date.now() + timeoutMs;
  for (let i = 0; ; i++) {
    const m = await metrics(server);
    if (pred(m.expo)) return m;
    assert.ok(Date.now() < end, `${what} within ${timeoutMs} ms (${i + 1} scrapes)`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** callTool that resolves {result} or {error} (a JSON-RPC error thrown by the SDK). */
async function call(client, name, args = {}) {
  try {
    return { result: await client.callTool({ name, arguments: args }, undefined, { timeout: WAIT }) };
  } catch (error) {
    return { error };
  }
}

describe('GET /metrics after known traffic', () => {
  let tmp;
  let server;
  let sdk;
  let hangPid;

  before(async () => {
    tmp = makeTmp('metrics');
    const cfg = writeConfig(tmp, `
observability:
  metrics:
    max_tools: 3
reliability:
  health: {interval_ms: 200}
databases:
  scratch:
    driver: sqlite
    path: scratch.db
    pool: {min: 1, max: 2}
tools:
  - name: one
    annotations: {readOnlyHint: true}
    sql: {database: scratch, statement: "SELECT 1 AS one", result: row}
  - name: fail
    exec: {command: /bin/sh, args: ["-c", "echo nope >&2; exit 3"]}
    policy: {retry: {max_attempts: 1}}
  - name: hang
    input_schema: {type: object, properties: {pidfile: {type: string}}}
    exec: {command: ${FAULTS}/hang.sh, args: ["{{pidfile}}"], kill_grace_ms: 100}
    policy: {deadline_ms: 300, retry: {max_attempts: 1}}
  - name: extra
    exec: {command: /bin/echo, args: ["extra"]}
`);
    await assertConfigValid(cfg);
    server = await startHttp({ bin: bulwarkBin(), argv: ['serve', '-c', cfg, '--listen', '127.0.0.1:0'] });
    sdk = await connectStreamable(server.url);
    // The order matters: one, fail and hang take the three tool labels (max_tools: 3); extra comes fourth.
    for (let i = 0; i < 5; i++) assert.ok((await call(sdk.client, 'one')).result, 'one answers');
    for (let i = 0; i < 2; i++) {
      const r = await call(sdk.client, 'fail', { password: SECRET });
      assert.equal(r.result?.isError, true, `fail is an isError result: ${JSON.stringify(r)}`);
    }
    const pidfile = path.join(tmp, 'hang.pid');
    const h = await call(sdk.client, 'hang', { pidfile });
    assert.equal(h.result?.isError, true, `hang times out: ${JSON.stringify(h)}`);
    hangPid = await readPid(pidfile);
    assert.ok((await call(sdk.client, 'extra')).result, 'extra answers');
    for (let i = 0; i < 2; i++) {
      const r = await call(sdk.client, `no_such_tool_${SECRET}_${i}`);
      assert.match(String(r.error), /-32602/, 'an unknown tool is a JSON-RPC error');
    }
  });

  after(async () => {
    await sdk?.close().catch(() => {});
    if (server) await finishHttp(server);
    reap(hangPid);
    await killAllSpawned();
    rmTmp(tmp);
  });

  test('requests and tool calls are counted exactly, by status and error type', async () => {
    const { expo } = await metrics(server);
    const req = (method, status) => expo.value('mcp_requests_total', { method, status });
    assert.equal(req('initialize', 'ok'), 1);
    assert.equal(req('tools/call', 'ok'), 6, 'one ×5 + extra');
    assert.equal(req('tools/call', 'tool_error'), 3, 'fail ×2 + hang');
    assert.equal(req('tools/call', 'error'), 2, 'the unknown tools: JSON-RPC error -32602');
    assert.equal(req('tools/call', 'cancelled'), 0);

    const calls = (tool, status) => expo.value('mcp_tool_calls_total', { tool, status });
    assert.equal(calls('one', 'ok'), 5);
    assert.equal(calls('one', 'error'), 0);
    assert.equal(calls('fail', 'tool_error'), 2);
    assert.equal(calls('hang', 'tool_error'), 1);
    // extra is past max_tools and the unknown names are not tools: both share _other.
    assert.equal(calls('extra', 'ok'), undefined, 'no label for the fourth tool');
    assert.equal(calls('_other', 'ok'), 1);
    assert.equal(calls('_other', 'error'), 2);

    const errors = (tool, error_type) => expo.value('mcp_tool_errors_total', { tool, error_type });
    assert.equal(errors('fail', 'permanent'), 2);
    assert.equal(errors('hang', 'timeout'), 1);
    assert.equal(errors('one', 'timeout'), undefined, 'no series for an error type that never happened');
    assert.equal(errors('_other', 'invalid_params'), 2);
    assert.equal(expo.series('mcp_tool_errors_total', { tool: '_other' }).length, 1);

    assert.equal(expo.value('mcp_timeouts_total', { tool: 'hang' }), 1);
    assert.equal(expo.value('mcp_timeouts_total', { tool: 'one' }), 0);
    assert.equal(expo.value('mcp_retries_total', { tool: 'fail' }), 0);
    assert.equal(expo.value('mcp_timeouts_total', { tool: 'extra' }), undefined, 'reliability families collapse the same way');
    assert.equal(expo.value('mcp_timeouts_total', { tool: '_other' }), 0);
  });

  test('histograms: exact buckets for the timed-out call, consistent _count/_sum/buckets everywhere', async () => {
    const { expo } = await metrics(server);
    for (const fam of ['mcp_request_duration_seconds', 'mcp_tool_call_duration_seconds',
      'mcp_server_operation_duration_seconds', 'mcp_db_connection_acquire_seconds']) {
      assert.ok(checkHistograms(expo, fam) > 0, `${fam} has series`);
    }
    const hang = { tool: 'hang' };
    assert.equal(expo.value('mcp_tool_call_duration_seconds_count', hang), 1);
    assert.equal(expo.value('mcp_tool_call_duration_seconds_bucket', { ...hang, le: '0.25' }), 0, 'the 300 ms deadline was waited out');
    assert.equal(expo.value('mcp_tool_call_duration_seconds_bucket', { ...hang, le: '5' }), 1);
    const sum = expo.value('mcp_tool_call_duration_seconds_sum', hang);
    assert.ok(sum >= 0.29 && sum < 5, `hang took ${sum} s`);
    assert.equal(expo.value('mcp_tool_call_duration_seconds_count', { tool: 'one' }), 5);
    assert.equal(expo.value('mcp_request_duration_seconds_count', { method: 'tools/call' }), 11);
    // Default buckets: 5 ms .. 60 s.
    const les = expo.series('mcp_tool_call_duration_seconds_bucket', { tool: 'one' }).map((s) => s.labels.le);
    assert.deepEqual(les, ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '30', '60', '+Inf']);
    // OpenTelemetry semantic-convention histogram: successes without error_type, failures by error type.
    const op = (labels) => expo.value('mcp_server_operation_duration_seconds_count', labels);
    assert.equal(op({ mcp_method_name: 'tools/call', gen_ai_tool_name: 'one' }), 5);
    assert.equal(op({ mcp_method_name: 'tools/call', gen_ai_tool_name: 'hang', error_type: 'timeout' }), 1);
    assert.equal(op({ mcp_method_name: 'tools/call', gen_ai_tool_name: 'fail', error_type: 'permanent' }), 2);
    assert.equal(op({ mcp_method_name: 'initialize' }), 1);
  });

  test('pool, session, SSE stream, readiness and process gauges', async () => {
    const { expo } = await metricsUntil(server, (e) => e.value('bulwark_ready') === 1, 'bulwark_ready 1');
    assert.equal(expo.value('mcp_db_connections', { db: 'scratch', state: 'in_use' }), 0);
    assert.ok(expo.value('mcp_db_connections', { db: 'scratch', state: 'idle' }) >= 1);
    assert.equal(expo.value('mcp_db_connections_max', { db: 'scratch' }), 2);
    assert.ok(expo.value('mcp_db_connection_acquire_seconds_count', { db: 'scratch' }) >= 5, 'every SQL call acquired');
    assert.equal(expo.value('mcp_inflight_requests'), 0);
    assert.ok(expo.value('mcp_active_sessions') >= 1);
    assert.equal(expo.value('bulwark_build_info', { version: expo.series('bulwark_build_info')[0]?.labels.version }), 1);
    assert.match(expo.series('bulwark_build_info')[0].labels.version, /^\d+\.\d+\.\d+/);
    const rss = expo.value('process_resident_memory_bytes');
    assert.ok(rss > 1e6 && rss < 4e9, `rss ${rss}`);
    assert.ok(expo.value('process_open_fds') > 3);
    assert.ok(expo.value('process_cpu_seconds_total') > 0);
    const start = expo.value('process_start_time_seconds');
    assert.ok(Math.abs(start - Date.now() / 1000) < 600, `start time ${start}`);
    assert.equal(expo.value('mcp_circuit_breaker_state', { dependency: 'db:scratch' }), 0, 'closed');
    assert.equal(expo.value('mcp_tool_slow_threshold_seconds', { tool: 'hang' }), 0.24, '80% of the 300 ms deadline');
    assert.equal(expo.value('mcp_tool_slow_threshold_seconds', { tool: 'one' }), 24, '80% of the default 30 s');
  });

  test('SSE streams are counted while open and uncounted when they end', async () => {
    // The SDK opens its standalone GET stream after initialize; a second client adds one more.
    const { expo } = await metricsUntil(server, (e) => e.value('mcp_sse_streams') >= 1, 'the first client\'s GET stream');
    const base = expo.value('mcp_sse_streams');
    const second = await connectStreamable(server.url);
    try {
      await metricsUntil(server, (e) => e.value('mcp_sse_streams') === base + 1, 'a second SSE stream');
      const sessions = (await metrics(server)).expo.value('mcp_active_sessions');
      assert.ok(sessions >= 2, `two sessions (${sessions})`);
    } finally {
      await second.terminate().catch(() => second.close());
    }
    await metricsUntil(server, (e) => e.value('mcp_sse_streams') === base, 'the second stream uncounted after DELETE');
  });

  test('no secret from arguments or made-up tool names shows in /metrics', async () => {
    const { text } = await metrics(server);
    assert.ok(!text.includes(SECRET), 'the secret is absent');
    assert.ok(!text.includes('no_such_tool'), 'made-up tool names never become labels');
    assert.ok(!text.includes('password'), 'argument names never become labels');
  });
});

describe('circuit breaker state and transitions in /metrics', () => {
  test('0 closed → 2 open after failures, transitions counted; _other never shown without need', async () => {
    const tmp = makeTmp('metrics-breaker');
    let server;
    let sdk;
    try {
      fs.writeFileSync(path.join(tmp, 'mode'), 'fail');
      const cfg = writeConfig(tmp, `
reliability:
  dependencies:
    "exec:flaky": {breaker: {failure_threshold: 2, open_ms: 60000}}
tools:
  - name: flaky
    exec: {command: ${FAULTS}/dep.sh, args: ["${tmp}"]}
    policy: {dependency: "exec:flaky", retry: {max_attempts: 1}}
`);
      await assertConfigValid(cfg);
      server = await startHttp({ bin: bulwarkBin(), argv: ['serve', '-c', cfg, '--listen', '127.0.0.1:0'] });
      let { expo } = await metrics(server);
      assert.equal(expo.value('mcp_circuit_breaker_state', { dependency: 'exec:flaky' }), 0);
      assert.equal(expo.value('mcp_circuit_breaker_transitions_total', { dependency: 'exec:flaky' }), 0);
      sdk = await connectStreamable(server.url);
      for (let i = 0; i < 3; i++) {
        const r = await call(sdk.client, 'flaky');
        assert.equal(r.result?.isError, true, JSON.stringify(r));
      }
      ({ expo } = await metrics(server));
      assert.equal(expo.value('mcp_circuit_breaker_state', { dependency: 'exec:flaky' }), 2, 'open');
      assert.equal(expo.value('mcp_circuit_breaker_transitions_total', { dependency: 'exec:flaky' }), 1);
      assert.equal(expo.value('mcp_circuit_breaker_opened_total', { dependency: 'exec:flaky' }), 1);
      assert.equal(expo.value('mcp_tool_errors_total', { tool: 'flaky', error_type: 'circuit_open' }), 1,
        'the third call was refused by the open breaker');
      assert.equal(expo.value('mcp_tool_calls_total', { tool: 'flaky', status: 'tool_error' }), 3);
      assert.equal(expo.series('mcp_tool_calls_total', { tool: '_other' }).length, 0);
    } finally {
      await sdk?.close().catch(() => {});
      if (server) await finishHttp(server);
      await killAllSpawned();
      rmTmp(tmp);
    }
  });
});

describe('observability.metrics configuration', () => {
  test('buckets out of order, non-positive bounds and max_tools out of range are refused at their YAML node', async () => {
    const tmp = makeTmp('metrics-config');
    try {
      const head = 'server: {name: m, version: "1"}\nobservability:\n  metrics:\n';
      let r = await checkConfigIn(tmp, 'a.yaml', `${head}    buckets: [0.1, 0.05, 1]\n`);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /a\.yaml:4:\d+: observability\.metrics\.buckets: bucket 2: bounds must be strictly increasing \(0\.05 after 0\.1\)/);
      r = await checkConfigIn(tmp, 'b.yaml', `${head}    buckets: [0, 1]\n    max_tools: 5000\n`);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /b\.yaml:4:\d+: observability\.metrics\.buckets\[0\]/);
      assert.match(r.stderr, /b\.yaml:5:\d+: observability\.metrics\.max_tools/);
      r = await checkConfigIn(tmp, 'c.yaml', `${head}    buckets: [0.001, 0.1, 1, 10]\n    max_tools: 50\n`);
      assert.equal(r.code, 0, r.stderr);
    } finally {
      rmTmp(tmp);
    }
  });

  test('configured buckets are the ones served', async () => {
    const tmp = makeTmp('metrics-buckets');
    let server;
    let sdk;
    try {
      const cfg = writeConfig(tmp, `
observability:
  metrics:
    buckets: [0.001, 0.1, 1.5]
tools:
  - name: echo
    exec: {command: /bin/echo, args: ["x"]}
`);
      server = await startHttp({ bin: bulwarkBin(), argv: ['serve', '-c', cfg, '--listen', '127.0.0.1:0'] });
      sdk = await connectStreamable(server.url);
      assert.ok((await call(sdk.client, 'echo')).result);
      const { expo } = await metrics(server);
      const les = expo.series('mcp_tool_call_duration_seconds_bucket', { tool: 'echo' }).map((s) => s.labels.le);
      assert.deepEqual(les, ['0.001', '0.1', '1.5', '+Inf']);
      assert.equal(expo.value('mcp_tool_call_duration_seconds_bucket', { tool: 'echo', le: '1.5' }), 1);
    } finally {
      await sdk?.close().catch(() => {});
      if (server) await finishHttp(server);
      await killAllSpawned();
      rmTmp(tmp);
    }
  });
});
