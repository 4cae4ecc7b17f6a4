// GET /events (issue 7, "Live status page"): the server event stream the status page and other tools subscribe to.
// A stream starts with a retry hint, "hello", "health" and "stats"; every tools/call, resources/read and prompts/get
// becomes a "call" event with its request id, method, target, status, error type, duration and session; "stats"
// comes every second and matches /metrics; ?types= filters; an idle stream gets keep-alive comments; a subscriber
// that stops reading loses the oldest events (told by "dropped" events whose counts, plus what it did get, add up
// to exactly the traffic sent) and never slows requests; the number of subscribers is bounded (503 beyond); streams
// end cleanly at shutdown. The same endpoints (and the health probes) on a stdio server's --admin-listen address.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import fs from 'node:fs';
import { killAllSpawned, RawClient, bulwarkBin, finish, runCommand, LATEST, CLIENT_INFO } from '../lib/raw-stdio.mjs';
import { finishHttp, open, SANITIZE, sleep } from '../lib/http.mjs';
import { makeTmp, rmTmp, startServe, metricSum, McpHttp, httpGet, waitStderr, writeTwoToolConfig } from '../lib/events.mjs';

after(killAllSpawned);

const SLOW = SANITIZE ? 4 : 1; // the ASan build is several times slower at everything

function config(tmp, status) {
  return writeTwoToolConfig(tmp, { name: 'events-test', version: '1.2.3', status });
}

/** Opens GET /events (query: e.g. '?types=call') and asserts the stream's headers. */
async function subscribe(base, query = '') {
  const r = await open(base, { method: 'GET', path: `/events${query}`, headers: { Accept: 'text/event-stream' } });
  assert.equal(r.status, 200, `GET /events${query} → 200`);
  assert.equal(r.headers['content-type'], 'text/event-stream');
  assert.equal(r.headers['cache-control'], 'no-cache, no-transform');
  return r;
}

const isCall = (rid) => (e) => e.event === 'call' && e.json?.data?.request_id === rid;

describe('GET /events on the HTTP transport', () => {
  let tmp;
  let s;
  let mcp;
  const streams = [];
  before(async () => {
    tmp = makeTmp('events');
    s = await startServe(config(tmp, '{max_subscribers: 4, queue_events: 16, keepalive_ms: 1000}'));
    mcp = await new McpHttp(s).init();
  });
  after(async () => {
    for (const r of streams) r.destroy();
    mcp?.close();
    if (s?.running) await finishHttp(s);
    rmTmp(tmp);
  });

  test('a stream starts with a retry hint, then hello, health and stats', async () => {
    const r = await subscribe(s);
    streams.push(r);
    const hello = (await r.sse.until((e) => e.event === 'hello', 5000 * SLOW, 'hello')).pop();
    assert.ok(r.sse.raw.startsWith('retry: 2000\n\n'), `first bytes: ${JSON.stringify(r.sse.raw.slice(0, 40))}`);
    assert.equal(hello.json.type, 'hello');
    assert.deepEqual(hello.json.data, { server: 'events-test', version: '1.2.3', stats_interval_ms: 1000 });
    const health = await r.sse.next();
    assert.equal(health.event, 'health');
    assert.equal(health.json.data.status, 'pass');
    assert.equal(health.json.data.checks.draining.status, 'pass');
    const stats = await r.sse.next();
    assert.equal(stats.event, 'stats');
    assert.equal(typeof stats.json.data.tools, 'object');
    assert.equal(stats.json.data.health.status, 'pass');
    const ids = [hello, health, stats].map((e) => Number(e.id));
    assert.ok(ids[0] > 0 && ids[1] > ids[0] && ids[2] > ids[1], `ids increase: ${ids}`);
    for (const e of [hello, health, stats]) assert.ok(Math.abs(e.json.ts_ms - Date.now()) < 60000, 'ts_ms is wall-clock ms');
    r.destroy();
  });

  test('call events carry request id, method, target, status, error type, duration and session', async () => {
    const r = await subscribe(s, '?types=call');
    streams.push(r);
    await r.sse.until((e) => e.event === 'hello', 5000 * SLOW, 'hello');
    for (let i = 1; i <= 3; i++) {
      const m = await mcp.request('tools/call', { name: 'one', arguments: {} }, { 'X-Request-ID': `evt-ok-${i}` });
      assert.ok(m.result && !m.result.isError, JSON.stringify(m));
    }
    const bad = await mcp.request('tools/call', { name: 'nope', arguments: {} }, { 'X-Request-ID': 'evt-bad' });
    assert.equal(bad.error?.code, -32602, JSON.stringify(bad));
    const inv = await mcp.request('tools/call', { name: 'one', arguments: { bogus: 1 } }, { 'X-Request-ID': 'evt-invalid' });
    assert.equal(inv.result?.isError, true, JSON.stringify(inv));
    const listed = await mcp.request('tools/list', {}, { 'X-Request-ID': 'evt-list' });
    assert.ok(listed.result, 'tools/list answered');
    const terr = await mcp.request('tools/call', { name: 'jx', arguments: { s: '{' } }, { 'X-Request-ID': 'evt-toolerr' });
    assert.equal(terr.result?.isError, true, JSON.stringify(terr));

    const got = await r.sse.until(isCall('evt-toolerr'), 10000 * SLOW, 'the tool error call event');
    const calls = got.filter((e) => e.event === 'call').map((e) => e.json.data);
    assert.deepEqual(got.map((e) => e.event), got.map(() => 'call'), 'types=call: nothing but call events after hello');
    assert.deepEqual(calls.map((c) => c.request_id),
      ['evt-ok-1', 'evt-ok-2', 'evt-ok-3', 'evt-bad', 'evt-invalid', 'evt-toolerr'],
      'one event per audited call, in order; tools/list is not one');
    for (const c of calls.slice(0, 3)) {
      assert.equal(c.method, 'tools/call');
      assert.equal(c.target, 'one');
      assert.equal(c.status, 'ok');
      assert.equal(c.error_type, null);
      assert.equal(c.error, null);
      assert.equal(c.session_id, mcp.session);
      assert.ok(typeof c.duration_ms === 'number' && c.duration_ms >= 0 && c.duration_ms < 10000, `duration_ms ${c.duration_ms}`);
    }
    assert.equal(calls[3].target, 'nope');
    assert.equal(calls[3].status, 'error');
    assert.equal(calls[3].error_type, 'invalid_params');
    assert.equal(calls[3].error, 'Unknown tool: nope');
    assert.equal(calls[4].status, 'tool_error', JSON.stringify(calls[4]));
    assert.match(calls[4].error, /bogus/);
    assert.equal(calls[5].status, 'tool_error');
    assert.equal(calls[5].target, 'jx');
    assert.ok(typeof calls[5].error_type === 'string' && calls[5].error_type.length > 0, JSON.stringify(calls[5]));
    assert.ok(calls[5].error.length > 0 && calls[5].error.length <= 200, JSON.stringify(calls[5]));
    r.destroy();
  });

  test('stats come about every second and match /metrics', async () => {
    const r = await subscribe(s, '?types=stats');
    streams.push(r);
    const got = await r.sse.until((e) => e.event === 'stats', 5000 * SLOW, 'the first stats');
    assert.ok(got.every((e) => e.event === 'hello' || e.event === 'stats' || (e.event === undefined && e.retry)),
      `types=stats: no other types: ${got.map((e) => e.event)}`);
    const ticks = [];
    while (ticks.length < 3) ticks.push((await r.sse.until((e) => e.event === 'stats', 5000 * SLOW, 'a stats tick')).pop());
    const gaps = ticks.slice(1).map((e, i) => e.json.ts_ms - ticks[i].json.ts_ms);
    for (const g of gaps) assert.ok(g >= 700 && g <= 1500 * SLOW, `stats interval ${g} ms (want ~1000): ${gaps}`);
    // No traffic since the previous test: the last snapshot and a scrape agree exactly.
    const last = ticks[2].json.data;
    const metrics = (await httpGet(s.base, '/metrics')).text;
    assert.equal(last.tools.one.calls, metricSum(metrics, 'mcp_tool_calls_total', { tool: 'one' }), 'tools.one.calls = /metrics');
    assert.equal(last.tools.jx.calls, metricSum(metrics, 'mcp_tool_calls_total', { tool: 'jx' }), 'tools.jx.calls = /metrics');
    assert.ok(last.tools.one.calls >= 3, `one was called at least 3 times so far: ${JSON.stringify(last.tools.one)}`);
    assert.ok(last.events.subscribers >= 1, JSON.stringify(last.events));
    r.destroy();
  });

  test('an idle stream gets keep-alive comments (keepalive_ms 1000)', async () => {
    const r = await subscribe(s, '?types=audit');
    streams.push(r);
    await r.sse.until((e) => e.event === 'hello', 5000 * SLOW, 'hello');
    const t0 = Date.now();
    while (!r.sse.comments.some((c) => c.text.trim() === 'keep-alive') && Date.now() - t0 < 5000 * SLOW) await sleep(50);
    assert.ok(r.sse.comments.some((c) => c.text.trim() === 'keep-alive'), `a keep-alive comment: ${r.sse.diag()}`);
    r.destroy();
  });

  test('methods, filters, /metrics and /status answers', async () => {
    let x = await httpGet(s.base, '/events?types=call,bogus');
    assert.equal(x.status, 400);
    x = await httpGet(s.base, '/events', { method: 'POST' });
    assert.equal(x.status, 405);
    assert.equal(x.headers.allow, 'GET, HEAD');
    x = await httpGet(s.base, '/events', { method: 'HEAD' });
    assert.equal(x.status, 200);
    assert.equal(x.headers['content-type'], 'text/event-stream');
    x = await httpGet(s.base, '/metrics');
    assert.equal(x.status, 200);
    assert.equal(x.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    assert.match(x.text, /^# (HELP|TYPE) /m);
    x = await httpGet(s.base, '/metrics', { method: 'DELETE' });
    assert.equal(x.status, 405);
    x = await httpGet(s.base, '/status');
    assert.equal(x.status, 200);
    assert.equal(x.headers['content-type'], 'text/html; charset=utf-8');
    const csp = x.headers['content-security-policy'];
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'sha256-[A-Za-z0-9+/]+=*'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.doesNotMatch(x.text, /\b(src|href)="(?!data:)|https?:\/\/|@import|url\(/i, 'no external assets');
    x = await httpGet(s.base, '/status', { headers: { Host: `evil.example:${s.port}` } });
    assert.equal(x.status, 403, 'Host check (DNS rebinding) applies to the status page too');
  });

  test('a subscriber that stops reading loses the oldest events, is told, and never slows requests', async () => {
    const N = 20000; // far more than a paused socket's kernel buffers absorb (~10k events here)
    const loader = await new McpHttp(s, '2025-03-26').init();
    let sock;
    try {
      const run = async () => {
        const t0 = Date.now();
        for (let i = 0; i < N / 200; i++) {
          const res = await loader.batch('one', {}, 200);
          assert.ok(res.every((m) => m.result && !m.result.isError), 'every call answered');
        }
        return Date.now() - t0;
      };
      const baseline = await run();

      sock = net.connect(s.port, '127.0.0.1');
      let raw = '';
      sock.setEncoding('utf8');
      sock.on('data', (c) => {
        raw += c;
      });
      sock.write(`GET /events?types=call HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\n\r\n`);
      const t0 = Date.now();
      while (!raw.includes('event: hello') && Date.now() - t0 < 5000 * SLOW) await sleep(20);
      assert.ok(raw.includes('event: hello'), `the raw stream started: ${raw.slice(0, 300)}`);
      sock.pause(); // stop reading: the server's queue for this subscriber (16 events) overflows
      const stuck = await run();
      assert.ok(stuck <= 3 * baseline + 1000 * SLOW,
        `${N} calls took ${stuck} ms with a stuck subscriber vs ${baseline} ms without`);
      sock.resume();
      const count = () => {
        const delivered = (raw.match(/^event: call$/gm) ?? []).length;
        const dropped = [...raw.matchAll(/^event: dropped\ndata: (\{.*\})$/gm)].map((m) => JSON.parse(m[1]).dropped);
        return { delivered, dropped, lost: dropped.reduce((a, b) => a + b, 0) };
      };
      const t1 = Date.now();
      while (count().delivered + count().lost < N && Date.now() - t1 < 15000 * SLOW) await sleep(50);
      const c = count();
      assert.ok(c.dropped.length >= 1, 'at least one "dropped" event');
      assert.ok(c.lost > 0 && c.delivered > 0, JSON.stringify({ ...c, dropped: c.dropped.length }));
      assert.equal(c.delivered + c.lost, N, `every call is either delivered or counted as dropped: ${JSON.stringify({ ...c, dropped: c.dropped.slice(0, 5) })}`);
    } finally {
      sock?.destroy(); // also when an assertion failed: a stuck stream left open would skew the next test
      loader.close();
    }
  });

  test('at most max_subscribers streams (4); the next gets 503 until one closes', async () => {
    for (const r of streams) r.destroy();
    // Closed streams are noticed at their next write (a stats tick or a keep-alive, 1 s here): wait until only
    // this observer is left.
    const obs = await subscribe(s, '?types=stats');
    const t0 = Date.now();
    for (;;) {
      const [e] = (await obs.sse.until((x) => x.event === 'stats', 5000 * SLOW, 'stats')).slice(-1);
      if (e.json.data.events.subscribers === 1) break;
      assert.ok(Date.now() - t0 < 10000 * SLOW, `stale subscribers never went away: ${JSON.stringify(e.json.data.events)}`);
    }
    const more = [await subscribe(s, '?types=call'), await subscribe(s, '?types=call'), await subscribe(s, '?types=call')];
    const refused = await httpGet(s.base, '/events');
    assert.equal(refused.status, 503, `the 5th stream is refused: ${refused.text}`);
    assert.equal(refused.headers['retry-after'], '5');
    assert.match(refused.text, /too many event subscribers/);
    more.pop().destroy();
    // The closed one is noticed at its next keep-alive (1 s); then a new stream is accepted.
    let again;
    const t1 = Date.now();
    while (Date.now() - t1 < 10000 * SLOW) {
      again = await open(s, { method: 'GET', path: '/events?types=call', headers: {} });
      if (again.status === 200) break;
      again.destroy();
      await sleep(200);
    }
    assert.equal(again.status, 200, 'a slot frees up once the closed stream is noticed');
    for (const r of [obs, again, ...more]) r.destroy();
  });

  test('at shutdown a health event says "draining", open streams end cleanly, the server exits 0', async () => {
    // The previous test's streams may still hold their slots until their next keep-alive (1 s).
    let r;
    const t0 = Date.now();
    while (!r && Date.now() - t0 < 10000 * SLOW) {
      const x = await open(s, { method: 'GET', path: '/events', headers: {} });
      if (x.status === 200) r = x;
      else {
        x.destroy();
        await sleep(200);
      }
    }
    assert.ok(r, 'a stream could be opened');
    await r.sse.until((e) => e.event === 'stats', 5000 * SLOW, 'stats');
    const stopped = finishHttp(s);
    assert.ok(await r.sse.endsWithin(10000 * SLOW), `the stream ended at shutdown: ${r.sse.diag()}`);
    assert.equal(r.sse.cleanEnd, true, 'the chunked body ended properly (not a reset)');
    assert.match(r.sse.raw, /retry: 1000\n\n$/, 'the last thing sent is a retry hint');
    const drained = r.sse.events.filter((e) => e.event === 'health' && e.json.data.status === 'draining');
    assert.equal(drained.length, 1, `one health event says "draining" before the end: ${r.sse.diag()}`);
    await stopped;
  });
});

describe('a stdio server with --admin-listen', () => {
  let tmp;
  let c;
  let admin;
  let chunks;
  before(async () => {
    tmp = makeTmp('admin');
    c = new RawClient(bulwarkBin(), ['serve', '-c', config(tmp, '{}'), '--stdio', '--admin-listen', '127.0.0.1:0']);
    chunks = c.stderrChunks;
    // The line is "admin on <url>" in text or {"msg":"admin on <url>","url":...} in JSON: either matches.
    admin = (await waitStderr(c.proc, chunks, /admin on (http:\/\/127\.0\.0\.1:(\d+))/)).match[1];
    await c.call('initialize', { protocolVersion: LATEST, capabilities: {}, clientInfo: CLIENT_INFO });
    await c.notify('notifications/initialized');
  });
  after(() => rmTmp(tmp));

  test('serves /metrics, /status, /health/ready and /health/live; nothing else', async () => {
    let x = await httpGet(admin, '/metrics');
    assert.equal(x.status, 200);
    assert.equal(x.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    assert.match(x.text, /^bulwark_build_info\{/m);
    x = await httpGet(admin, '/status');
    assert.equal(x.status, 200);
    assert.equal(x.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(x.text, /data-testid="tools-table"/);
    x = await httpGet(admin, '/health/ready');
    assert.equal(x.status, 200, x.text);
    assert.equal(JSON.parse(x.text).status, 'pass');
    x = await httpGet(admin, '/health/live');
    assert.equal(x.status, 200);
    x = await httpGet(admin, '/');
    assert.equal(x.status, 302);
    assert.equal(x.headers.location, '/status');
    x = await httpGet(admin, '/mcp', { method: 'POST' });
    assert.equal(x.status, 404, 'no MCP endpoint on the admin address');
    x = await httpGet(admin, '/metrics', { headers: { Host: 'evil.example' } });
    assert.equal(x.status, 403, 'Host check on a loopback admin address');
  });

  test('/events there carries the stdio calls', async () => {
    const r = await subscribe(admin, '?types=call');
    await r.sse.until((e) => e.event === 'hello', 5000 * SLOW, 'hello');
    const m = await c.request('tools/call', { name: 'one', arguments: {} });
    assert.ok(m.result && !m.result.isError, JSON.stringify(m));
    const [e] = (await r.sse.until((x) => x.event === 'call', 5000 * SLOW, 'the call event')).slice(-1);
    assert.equal(e.json.data.method, 'tools/call');
    assert.equal(e.json.data.target, 'one');
    assert.equal(e.json.data.status, 'ok');
    assert.equal(e.json.data.session_id, null, 'stdio has no transport session id');
    assert.match(e.json.data.request_id, /^[0-9a-f]{32}$/, 'a generated request id');
    // EOF on stdin with the stream open: it ends cleanly, the server exits 0 (ASan: no leak).
    const done = finish(c);
    assert.ok(await r.sse.endsWithin(10000 * SLOW), `the admin stream ended at shutdown: ${r.sse.diag()}`);
    assert.equal(r.sse.cleanEnd, true);
    await done;
  });

  test('an admin address already in use is a clear start-up error', async () => {
    const first = await startServe(config(tmp, '{}'), ['--admin-listen', '127.0.0.1:0']);
    try {
      const port = new URL(first.admin).port;
      const second = new RawClient(bulwarkBin(), ['serve', '-c', path.join(tmp, 'bulwark.yaml'), '--stdio',
        '--admin-listen', `127.0.0.1:${port}`]);
      const st = await second.close();
      assert.notEqual(st.code, 0, 'exits with an error');
      assert.match(second.stderr, /cannot serve the admin endpoints on 127\.0\.0\.1:\d+: cannot listen/);
    } finally {
      await finishHttp(first);
    }
  });
});

describe('observability.status configuration', () => {
  let tmp;
  before(() => {
    tmp = makeTmp('status-config');
  });
  after(() => rmTmp(tmp));

  test('bulwark check reports out-of-range values and unknown keys at their line', async () => {
    const file = path.join(tmp, 'bad.yaml');
    fs.writeFileSync(file, 'server: {name: x, version: "1"}\nobservability:\n  status:\n' +
      '    max_subscribers: 0\n    queue_events: 8\n    stats_interval_ms: 50\n    colour: blue\n');
    const r = await runCommand(bulwarkBin(), ['check', '-c', file]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /bad\.yaml:4:\d+: observability\.status\.max_subscribers: 0 is less than minimum 1/);
    assert.match(r.stderr, /bad\.yaml:5:\d+: observability\.status\.queue_events: 8 is less than minimum 16/);
    assert.match(r.stderr, /bad\.yaml:6:\d+: observability\.status\.stats_interval_ms: 50 is less than minimum 100/);
    assert.match(r.stderr, /bad\.yaml:7:\d+: unknown key 'colour'/);
  });

  test('enabled: false turns off /status and /events, not /metrics; a reload (SIGHUP) turns them back on', async () => {
    const file = config(tmp, '{enabled: false}');
    const s = await startServe(file);
    try {
      assert.equal((await httpGet(s.base, '/status')).status, 404);
      assert.equal((await httpGet(s.base, '/events')).status, 404);
      assert.equal((await httpGet(s.base, '/metrics')).status, 200);
      config(tmp, '{enabled: true, stats_interval_ms: 200}');
      process.kill(s.pid, 'SIGHUP');
      let st = 404;
      const t0 = Date.now();
      while (st === 404 && Date.now() - t0 < 10000 * SLOW) {
        st = (await httpGet(s.base, '/status')).status;
        if (st === 404) await sleep(100);
      }
      assert.equal(st, 200, 'the page is served after the reload');
      const r = await subscribe(s, '?types=stats');
      const hello = (await r.sse.until((e) => e.event === 'hello', 5000 * SLOW, 'hello')).pop();
      assert.equal(hello.json.data.stats_interval_ms, 200, 'the reloaded interval');
      const ticks = [];
      while (ticks.length < 3) ticks.push((await r.sse.until((e) => e.event === 'stats', 5000 * SLOW, 'stats')).pop());
      const gap = ticks[2].json.ts_ms - ticks[1].json.ts_ms;
      assert.ok(gap >= 100 && gap <= 600 * SLOW, `stats every ~200 ms after the reload: ${gap} ms`);
      r.destroy();
    } finally {
      await finishHttp(s);
    }
  });
});
