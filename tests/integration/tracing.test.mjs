// Traces end to end (issue 7, "Traces"): `bulwark serve -c` with observability.tracing pointing at a fake OTLP
// collector (tests/lib/otlp_collector.mjs). Requests carry a W3C traceparent (HTTP header, or params._meta over the
// modern era) and the test reads the exported OTLP/HTTP JSON:
//   - one trace id end to end; the request span (SERVER, "tools/call <tool>") is the child of the caller's span; the
//     policy span its child; one attempt span per try (as many as the tool was run); each provider span (SQL
//     statement, HTTP client request, program) the child of its attempt; the semantic-convention attributes;
//   - the HTTP dependency receives a traceparent whose parent-id is the HTTP client span (and the tracestate);
//   - sampling ratio 0: a request without a sampled parent exports nothing, yet the dependency still receives a
//     traceparent (the caller's unchanged, or ours with the sampled flag off);
//   - a dead collector (closed port) or a collector that never answers does not slow requests (p50 compared with
//     tracing off, same machine, same run) and the spans it cannot take are dropped and counted in /metrics;
//   - a reload (SIGHUP) under load moves export to another collector without a failed request; spans of requests
//     that began before it still reach the old one; removing the section stops export; bad options are refused by
//     `bulwark check` at their YAML node.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { bulwarkBin, killAllSpawned } from '../lib/raw-stdio.mjs';
import { startHttp, finishHttp, initSession, rpc, request, SANITIZE } from '../lib/http.mjs';
import { modernPost } from '../lib/modern.mjs';
import { startCollector } from '../lib/otlp_collector.mjs';
import { FAULTS, makeTmp, rmTmp, writeConfig, assertConfigValid, show } from '../lib/reliability.mjs';
import { checkConfigIn } from '../lib/config.mjs';

const hex = (n) => crypto.randomBytes(n).toString('hex');
const traceparent = (traceId, spanId, flags = '01') => `00-${traceId}-${spanId}-${flags}`;
const TP_RE = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** A local HTTP dependency that records the trace headers of every request; /fail answers 500. */
async function startDownstream() {
  const seen = [];
  const server = http.createServer((req, res) => {
    seen.push({ url: req.url, traceparent: req.headers.traceparent, tracestate: req.headers.tracestate });
    req.resume();
    if (req.url.startsWith('/fail')) res.writeHead(500, { 'Content-Type': 'text/plain' }).end('nope');
    else res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${server.address().port}`;
  return {
    seen, base,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(r));
    },
  };
}

/** A port nothing listens on (bound, then closed). */
async function closedPort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise((r) => s.close(r));
  return port;
}

function serve(file) {
  return startHttp({ bin: bulwarkBin(), argv: ['serve', '-c', file, '--listen', '127.0.0.1:0'] });
}

function toolsCall(srv, session, version, name, args, headers) {
  return rpc(srv, session, 'tools/call', { name, arguments: args }, { version, headers });
}

function byId(spans) {
  return new Map(spans.map((s) => [s.spanId, s]));
}

function childrenOf(spans, parent) {
  return spans.filter((s) => s.parentSpanId === parent.spanId);
}

function only(list, what) {
  assert.equal(list.length, 1, `exactly one ${what}: ${show(list.map((s) => [s.name, s.attrs]))}`);
  return list[0];
}

describe('tracing: spans, parent/child links, attributes, propagation', () => {
  let tmp;
  let collector;
  let down;
  let srv;
  let session;
  let version;

  before(async () => {
    tmp = makeTmp('trace');
    fs.mkdirSync(path.join(tmp, 'flaky'));
    collector = await startCollector();
    down = await startDownstream();
    const file = writeConfig(tmp, `
observability:
  tracing:
    endpoint: "${collector.url}"
    sampling_ratio: 0
    service_name: trace-svc
    batch_size: 64
    flush_interval_ms: 50
databases:
  main:
    driver: sqlite
    path: ${tmp}/main.db
tools:
  - name: weather
    annotations: {readOnlyHint: true}
    input_schema: {type: object, properties: {city: {type: string}}, required: [city]}
    sql: {database: main, statement: "SELECT :city AS city, 21 AS temp", result: row}
  - name: fetch
    annotations: {readOnlyHint: true}
    input_schema: {type: object, properties: {q: {type: string}}}
    http: {url: "${down.base}/data", query: {q: "{q}"}}
  - name: fetch_fail
    http: {url: "${down.base}/fail"}
  - name: hello
    exec: {command: echo, args: ["hello"]}
  - name: trace_env
    exec: {command: printenv, args: ["TRACEPARENT", "TRACESTATE"]}
  - name: trace_env_own
    exec: {command: printenv, args: ["TRACEPARENT"], env: {TRACEPARENT: "set-by-config"}}
  - name: flaky
    annotations: {readOnlyHint: true}
    exec: {command: ${FAULTS}/flaky.sh, args: ["${tmp}/flaky", "2", "75"]}
    policy: {retry: {max_attempts: 4, base_delay_ms: 10, max_delay_ms: 20}}
`);
    await assertConfigValid(file);
    srv = await serve(file);
    ({ session, version } = await initSession(srv));
  });

  after(async () => {
    await finishHttp(srv);
    await collector?.close();
    await down?.close();
    await killAllSpawned();
    rmTmp(tmp);
  });

  test('SQL tool: request → policy → attempt → statement, one trace, caller as parent', async () => {
    const traceId = hex(16);
    const callerSpan = hex(8);
    const { msg, resp } = await toolsCall(srv, session, version, 'weather', { city: 'Paris' },
      { traceparent: traceparent(traceId, callerSpan), tracestate: 'vendor=abc' });
    assert.ok(msg.result && !msg.result.isError, show(msg));
    const spans = await collector.waitFor((s) => s.filter((x) => x.traceId === traceId).length >= 4);
    const t = spans.filter((x) => x.traceId === traceId);
    assert.equal(t.length, 4, show(t.map((s) => s.name)));
    const root = only(t.filter((s) => s.kind === 2), 'SERVER span');
    assert.equal(root.name, 'tools/call weather');
    assert.equal(root.parentSpanId, callerSpan, 'the request span is the child of the incoming span');
    assert.equal(root.attrs['mcp.method.name'], 'tools/call');
    assert.equal(root.attrs['gen_ai.tool.name'], 'weather');
    assert.equal(root.attrs['gen_ai.operation.name'], 'execute_tool');
    assert.equal(root.attrs['jsonrpc.request.id'], String(msg.id));
    assert.equal(root.attrs['mcp.session.id'], session);
    assert.equal(root.attrs['mcp.protocol.version'], version);
    assert.equal(root.attrs['network.transport'], 'tcp');
    assert.equal(root.attrs['client.address'], '127.0.0.1');
    assert.ok(root.attrs['client.port'] > 0);
    assert.equal(root.status.code ?? 0, 0, 'a successful request has no error status');
    assert.equal(root.resource['service.name'], 'trace-svc');
    const policy = only(childrenOf(t, root), 'policy span');
    assert.equal(policy.name, 'policy');
    assert.equal(policy.attrs['bulwark.attempts'], 1);
    const attempt = only(childrenOf(t, policy), 'attempt span');
    assert.equal(attempt.attrs['bulwark.attempt'], 1);
    const stmt = only(childrenOf(t, attempt), 'statement span');
    assert.equal(stmt.kind, 3, 'the statement span is a CLIENT span');
    assert.equal(stmt.name, 'SELECT main');
    assert.equal(stmt.attrs['db.system'], 'sqlite');
    assert.equal(stmt.attrs['db.system.name'], 'sqlite');
    assert.equal(stmt.attrs['db.namespace'], 'main');
    assert.equal(stmt.attrs['db.operation.name'], 'SELECT');
    assert.match(stmt.attrs['db.query.text'], /^SELECT \?\d* AS city, 21 AS temp$/, 'the SQL with its placeholder');
    assert.ok(!collector.requests.some((r) => r.raw.includes('Paris')), 'the bound value is never exported');
    // Children lie within their parents.
    for (const [child, parent] of [[policy, root], [attempt, policy], [stmt, attempt]]) {
      assert.ok(child.start >= parent.start && child.end <= parent.end, `${child.name} within ${parent.name}`);
    }
    // The echoed X-Request-ID and the trace are separate things; the response is still plain JSON-RPC.
    assert.equal(resp.status, 200);
  });

  test('HTTP tool: CLIENT span, and the dependency receives traceparent naming it (plus tracestate)', async () => {
    const traceId = hex(16);
    const before = down.seen.length;
    const { msg } = await toolsCall(srv, session, version, 'fetch', { q: 'secret-query' },
      { traceparent: traceparent(traceId, hex(8)), tracestate: 'vendor=abc' });
    assert.ok(msg.result && !msg.result.isError, show(msg));
    const t = (await collector.waitFor((s) => s.filter((x) => x.traceId === traceId).length >= 4))
      .filter((x) => x.traceId === traceId);
    const ids = byId(t);
    const client = only(t.filter((s) => s.kind === 3), 'CLIENT span');
    assert.equal(client.name, 'GET');
    assert.equal(ids.get(client.parentSpanId)?.name, 'attempt');
    assert.equal(client.attrs['http.request.method'], 'GET');
    assert.equal(client.attrs['url.full'], `${down.base}/data`, 'url.full without the query string');
    assert.equal(client.attrs['server.address'], '127.0.0.1');
    assert.equal(client.attrs['server.port'], Number(new URL(down.base).port));
    assert.equal(client.attrs['http.response.status_code'], 200);
    assert.equal(down.seen.length, before + 1);
    const got = down.seen.at(-1);
    const m = TP_RE.exec(got.traceparent ?? '');
    assert.ok(m, `the dependency received a traceparent: ${got.traceparent}`);
    assert.equal(m[1], traceId, 'same trace id downstream');
    assert.equal(m[2], client.spanId, 'the downstream parent-id is the HTTP client span');
    assert.equal(m[3], '01');
    assert.equal(got.tracestate, 'vendor=abc', 'tracestate passed on unchanged');
    assert.ok(!collector.requests.some((r) => r.raw.includes('secret-query')), 'query values are never exported');
  });

  test('retries: one attempt span per try, each with its program span and outcome', async () => {
    const traceId = hex(16);
    const { msg } = await toolsCall(srv, session, version, 'flaky', {},
      { traceparent: traceparent(traceId, hex(8)) });
    assert.ok(msg.result && !msg.result.isError, show(msg));
    assert.equal(msg.result._meta?.['io.bulwark/attempts'], 3);
    const t = (await collector.waitFor((s) => s.filter((x) => x.traceId === traceId).length >= 8))
      .filter((x) => x.traceId === traceId);
    assert.equal(t.length, 8, show(t.map((s) => s.name))); // request, policy, 3 × (attempt + exec)
    const root = only(t.filter((s) => s.kind === 2), 'SERVER span');
    const policy = only(childrenOf(t, root), 'policy span');
    assert.equal(policy.attrs['bulwark.attempts'], 3);
    const attempts = childrenOf(t, policy).sort((a, b) => a.attrs['bulwark.attempt'] - b.attrs['bulwark.attempt']);
    assert.deepEqual(attempts.map((a) => a.attrs['bulwark.attempt']), [1, 2, 3]);
    assert.deepEqual(attempts.map((a) => a.attrs['bulwark.outcome']), ['unavailable', 'unavailable', 'ok']);
    assert.deepEqual(attempts.map((a) => a.status.code ?? 0), [2, 2, 0]);
    assert.equal(attempts[0].attrs['error.type'], 'unavailable');
    assert.equal(attempts[0].attrs['bulwark.retry.delay_ms'], undefined, 'the first attempt waited for nothing');
    for (const a of attempts.slice(1)) {
      const d = a.attrs['bulwark.retry.delay_ms'];
      assert.ok(d >= 0 && d <= 20, `retry delay within the backoff cap: ${d}`);
    }
    for (let i = 1; i < 3; i++) assert.ok(attempts[i].start >= attempts[i - 1].end, 'attempts follow each other');
    const execs = attempts.map((a) => only(childrenOf(t, a), `program span of attempt ${a.attrs['bulwark.attempt']}`));
    assert.deepEqual(execs.map((e) => e.name), ['exec flaky.sh', 'exec flaky.sh', 'exec flaky.sh']);
    assert.deepEqual(execs.map((e) => e.attrs['process.exit.code']), [75, 75, 0]);
    assert.deepEqual(execs.map((e) => e.attrs['process.executable.name']), ['flaky.sh', 'flaky.sh', 'flaky.sh']);
  });

  test('exec: the program gets TRACEPARENT naming its span and the caller\'s TRACESTATE; a tool\'s own env wins', async () => {
    const traceId = hex(16);
    const { msg } = await toolsCall(srv, session, version, 'trace_env', {},
      { traceparent: traceparent(traceId, hex(8)), tracestate: 'vendor=abc' });
    assert.ok(msg.result && !msg.result.isError, show(msg));
    const [tp, ts] = msg.result.structuredContent.stdout.trim().split('\n');
    const m = TP_RE.exec(tp ?? '');
    assert.ok(m, `TRACEPARENT in the program's environment: ${show(msg.result.structuredContent)}`);
    assert.equal(m[1], traceId, 'same trace');
    assert.equal(m[3], '01', 'sampled');
    assert.equal(ts, 'vendor=abc');
    const t = (await collector.waitFor((s) => s.some((x) => x.traceId === traceId && x.name === 'exec printenv')))
      .filter((x) => x.traceId === traceId);
    assert.equal(only(t.filter((x) => x.name === 'exec printenv'), 'program span').spanId, m[2],
      'the parent-id is the program span');
    const own = await toolsCall(srv, session, version, 'trace_env_own', {}, { traceparent: traceparent(hex(16), hex(8)) });
    assert.equal(own.msg.result?.structuredContent?.stdout, 'set-by-config\n', show(own.msg));
  });

  test('exec tool and a failing HTTP tool: program span; error status and error.type on the request span', async () => {
    const traceId = hex(16);
    const parent = traceparent(traceId, hex(8));
    const ok = await toolsCall(srv, session, version, 'hello', {}, { traceparent: parent });
    assert.ok(ok.msg.result && !ok.msg.result.isError, show(ok.msg));
    const bad = await toolsCall(srv, session, version, 'fetch_fail', {}, { traceparent: parent });
    assert.equal(bad.msg.result?.isError, true, show(bad.msg));
    const t = (await collector.waitFor((s) => s.filter((x) => x.traceId === traceId).length >= 8))
      .filter((x) => x.traceId === traceId);
    const prog = only(t.filter((s) => s.name === 'exec echo'), 'exec span');
    assert.equal(prog.attrs['process.executable.name'], 'echo');
    assert.equal(prog.attrs['process.exit.code'], 0);
    const failRoot = only(t.filter((s) => s.name === 'tools/call fetch_fail'), 'failing request span');
    assert.equal(failRoot.status.code, 2, 'status ERROR');
    assert.ok(failRoot.attrs['error.type'], `error.type set: ${show(failRoot.attrs)}`);
    const client = only(t.filter((s) => s.kind === 3), 'CLIENT span');
    assert.equal(client.attrs['http.response.status_code'], 500);
    assert.equal(client.attrs['error.type'], '500');
    assert.equal(client.status.code, 2);
  });

  test('modern era: traceparent in params._meta is the parent', async () => {
    const traceId = hex(16);
    const callerSpan = hex(8);
    const { resp, reply } = await modernPost(srv, 'tools/call', { name: 'weather', arguments: { city: 'Oslo' } },
      { meta: { traceparent: traceparent(traceId, callerSpan) } });
    assert.equal(resp.status, 200, resp.text);
    assert.ok(reply?.result && !reply.result.isError, resp.text);
    const t = (await collector.waitFor((s) => s.filter((x) => x.traceId === traceId).length >= 4))
      .filter((x) => x.traceId === traceId);
    const root = only(t.filter((s) => s.kind === 2), 'SERVER span');
    assert.equal(root.parentSpanId, callerSpan);
    assert.equal(root.attrs['mcp.protocol.version'], '2026-07-28');
    assert.equal(root.attrs['mcp.session.id'], undefined, 'the stateless era has no session');
  });

  test('sampling ratio 0: nothing exported without a sampled parent, the header still propagated', async () => {
    // No trace context at all: our own trace id travels downstream with the sampled flag off.
    const before = down.seen.length;
    const { msg } = await toolsCall(srv, session, version, 'fetch', { q: 'x' });
    assert.ok(msg.result && !msg.result.isError, show(msg));
    const got = down.seen.at(-1);
    assert.equal(down.seen.length, before + 1);
    const m = TP_RE.exec(got.traceparent ?? '');
    assert.ok(m, `a traceparent was still sent: ${got.traceparent}`);
    assert.equal(m[3], '00', 'not sampled');
    // A caller that did not sample: its context is passed on unchanged.
    const traceId = hex(16);
    const callerSpan = hex(8);
    const unsampled = traceparent(traceId, callerSpan, '00');
    await toolsCall(srv, session, version, 'fetch', { q: 'y' }, { traceparent: unsampled, tracestate: 'v=1' });
    assert.equal(down.seen.at(-1).traceparent, unsampled);
    assert.equal(down.seen.at(-1).tracestate, 'v=1');
    // A sampled request afterwards is exported (so the exporter is alive), but neither of the two above is.
    const marker = hex(16);
    await toolsCall(srv, session, version, 'weather', { city: 'x' }, { traceparent: traceparent(marker, hex(8)) });
    const spans = await collector.waitFor((s) => s.some((x) => x.traceId === marker));
    assert.equal(spans.filter((x) => x.traceId === m[1] || x.traceId === traceId).length, 0,
      'unsampled requests export no span');
  });
});

describe('tracing: a dead or stalled collector never slows requests', () => {
  const N = SANITIZE ? 30 : 60;
  let tmp;
  let stalled;
  const servers = [];

  before(async () => {
    tmp = makeTmp('trace-dead');
    stalled = await startCollector('stall');
  });

  after(async () => {
    for (const s of servers) await finishHttp(s);
    await stalled?.close();
    await killAllSpawned();
    rmTmp(tmp);
  });

  async function startWith(name, tracing) {
    const file = writeConfig(tmp, `
${tracing}
databases:
  main: {driver: sqlite, path: ${tmp}/${name}.db}
tools:
  - name: one
    annotations: {readOnlyHint: true}
    sql: {database: main, statement: "SELECT 1 AS one", result: row}
`, `${name}.yaml`);
    await assertConfigValid(file);
    const s = await serve(file);
    servers.push(s);
    return s;
  }

  async function p50(s) {
    const { session, version } = await initSession(s);
    const times = [];
    for (let i = 0; i < N; i++) {
      const t0 = performance.now();
      const { msg } = await toolsCall(s, session, version, 'one', {});
      times.push(performance.now() - t0);
      assert.ok(msg.result && !msg.result.isError, show(msg));
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)];
  }

  async function metric(s, name) {
    const r = await request(s, { method: 'GET', path: '/metrics', headers: { Accept: 'text/plain' } });
    assert.equal(r.status, 200, `/metrics → 200: ${r.text.slice(0, 200)}`);
    const line = r.text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
    return line === undefined ? undefined : Number(line.split(' ').at(-1));
  }

  test('p50 with a closed-port or stalled collector stays within 50 ms of tracing off; drops are counted', async () => {
    const port = await closedPort();
    const common = 'sampling_ratio: 1\n    queue_size: 8\n    batch_size: 4\n    flush_interval_ms: 20\n    export_timeout_ms: 1000';
    const off = await startWith('off', '');
    const dead = await startWith('dead', `observability:\n  tracing:\n    endpoint: "http://127.0.0.1:${port}/v1/traces"\n    ${common}`);
    const stall = await startWith('stall', `observability:\n  tracing:\n    endpoint: "${stalled.url}"\n    ${common}`);
    const base = await p50(off);
    const withDead = await p50(dead);
    const withStall = await p50(stall);
    assert.ok(withDead < base + 50, `closed-port collector: p50 ${withDead.toFixed(1)} ms vs ${base.toFixed(1)} ms off`);
    assert.ok(withStall < base + 50, `stalled collector: p50 ${withStall.toFixed(1)} ms vs ${base.toFixed(1)} ms off`);
    assert.ok(stalled.requests.length >= 1, 'the exporter did reach the stalled collector');
    // 4 spans per request, a queue of 8 and an exporter stuck on its first batch: most spans were dropped.
    const dropped = await metric(stall, 'bulwark_trace_spans_dropped_total');
    assert.ok(dropped >= N * 4 - 8 - 4 * 2, `bulwark_trace_spans_dropped_total counts the drops: ${dropped}`);
    const deadDropped = await metric(dead, 'bulwark_trace_spans_dropped_total');
    assert.ok(deadDropped > 0, `failed exports count as dropped: ${deadDropped}`);
    // Shutting down with a stalled collector is bounded by export_timeout_ms (finishHttp asserts a clean exit).
    const t0 = Date.now();
    await finishHttp(stall);
    servers.splice(servers.indexOf(stall), 1);
    assert.ok(Date.now() - t0 < 5000 + (SANITIZE ? 5000 : 0), `shutdown took ${Date.now() - t0} ms`);
  });
});

describe('tracing: reload and configuration checks', () => {
  let tmp;
  let a;
  let b;
  let srv;

  const config = (tracing) => `
${tracing}
databases:
  main: {driver: sqlite, path: main.db}
tools:
  - name: one
    annotations: {readOnlyHint: true}
    sql: {database: main, statement: "SELECT 1 AS one", result: row}
`;
  const to = (c) => `observability:\n  tracing:\n    endpoint: "${c.url}"\n    flush_interval_ms: 20\n    batch_size: 16`;

  before(async () => {
    tmp = makeTmp('trace-reload');
    a = await startCollector();
    b = await startCollector();
  });

  after(async () => {
    await finishHttp(srv);
    await a?.close();
    await b?.close();
    await killAllSpawned();
    rmTmp(tmp);
  });

  test('SIGHUP under load switches collectors without a failed request; removing the section stops export', async () => {
    const file = writeConfig(tmp, config(to(a)));
    await assertConfigValid(file);
    srv = await serve(file);
    const { session, version } = await initSession(srv);
    let stop = false;
    let failures = 0;
    let calls = 0;
    const traces = [];
    const loop = async () => {
      for (let i = 0; i < 2000 && !stop; i++) {
        const traceId = hex(16);
        traces.push(traceId);
        const { msg } = await toolsCall(srv, session, version, 'one', {}, { traceparent: traceparent(traceId, hex(8)) });
        calls++;
        if (!msg.result || msg.result.isError) failures++;
      }
    };
    const load = Promise.all([loop(), loop(), loop()]);
    await a.waitFor((s) => s.length >= 20);
    writeConfig(tmp, config(to(b)));
    process.kill(srv.pid, 'SIGHUP');
    await b.waitFor((s) => s.length >= 20); // bounded by WAIT_MS: the new exporter took over
    stop = true;
    await load;
    assert.equal(failures, 0, `no failed request across the reload (${calls} calls)`);
    // Every request's trace reached one collector or the other: the old exporter flushed what it had queued.
    const done = new Set([...a.spans, ...b.spans].map((s) => s.traceId));
    await b.waitFor(() => {
      for (const s of [...a.spans, ...b.spans]) done.add(s.traceId);
      return traces.every((t) => done.has(t));
    }, 5000, 'every request traced once the exporters flushed');
    const nA = a.spans.length;
    // Tracing removed (and a tool added, which tells when the reload is in): nothing more is exported anywhere.
    writeConfig(tmp, `${config('')}  - name: two
    annotations: {readOnlyHint: true}
    sql: {database: main, statement: "SELECT 2 AS two", result: row}
`);
    process.kill(srv.pid, 'SIGHUP');
    const end = Date.now() + 10000;
    for (;;) {
      const { msg } = await toolsCall(srv, session, version, 'two', {});
      if (msg.result && !msg.result.isError) break;
      assert.ok(Date.now() < end, `the reload that removed tracing took effect: ${show(msg)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 200)); // spans of requests that began before the reload are flushed
    const nB = b.spans.length;
    for (let i = 0; i < 5; i++) {
      await toolsCall(srv, session, version, 'one', {}, { traceparent: traceparent(hex(16), hex(8)) });
    }
    await new Promise((r) => setTimeout(r, 300)); // 15 flush intervals
    assert.equal(b.spans.length, nB, 'nothing more reached the second collector');
    assert.equal(a.spans.length, nA, 'nothing more reached the first collector');
  });

  test('bulwark check refuses a bad endpoint and a bad header at their node', async () => {
    const r1 = await checkConfigIn(tmp, 'bad1.yaml', `server: {name: t, version: "1"}\nobservability:\n  tracing:\n    endpoint: "http://"\n`);
    assert.notEqual(r1.code, 0);
    assert.match(r1.stderr, /bad1\.yaml:4:\d+: .*endpoint/, r1.stderr);
    const r2 = await checkConfigIn(tmp, 'bad2.yaml', `server: {name: t, version: "1"}\nobservability:\n  tracing:\n    endpoint: "http://127.0.0.1:4318/v1/traces"\n    sampling_ratio: 2\n`);
    assert.notEqual(r2.code, 0);
    assert.match(r2.stderr, /bad2\.yaml:5:\d+: .*sampling_ratio/, r2.stderr);
    const r3 = await checkConfigIn(tmp, 'bad3.yaml', `server: {name: t, version: "1"}\nobservability:\n  tracing:\n    endpoint: "http://127.0.0.1:4318/v1/traces"\n    headers: {Content-Type: text/plain}\n`);
    assert.notEqual(r3.code, 0);
    assert.match(r3.stderr, /bad3\.yaml:5:\d+: .*Content-Type/, r3.stderr);
    const ok = await checkConfigIn(tmp, 'ok.yaml', `server: {name: t, version: "1"}\nobservability:\n  tracing:\n    endpoint: "http://127.0.0.1:4318/v1/traces"\n    headers: {X-Api-Key: abc}\n    sampling_ratio: 0.1\n`);
    assert.equal(ok.code, 0, ok.stderr);
  });
});
