// The monitoring assets in deploy/ (issue 7, "Metrics"): the Prometheus alert rules are valid (`promtool check
// rules`, promtool from Debian's prometheus package) and behave as documented (`promtool test rules` on
// deploy/prometheus/alerts_test.yml: each alert fires on the synthetic series meant to trigger it and only there),
// and every metric name the Grafana dashboard's queries (and the alert rules) use is one a real running server
// exposes on GET /metrics after a little traffic (histogram _bucket/_sum/_count suffixes allowed).
//
// A missing promtool FAILS the test with the install hint: the check is part of the issue, not optional.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startHttp, finishHttp } from '../lib/http.mjs';
import { connectStreamable } from '../lib/http-sdk.mjs';
import { bulwarkBin, killAllSpawned, TESTS_DIR } from '../lib/raw-stdio.mjs';
import { makeTmp, rmTmp, writeConfig, assertConfigValid } from '../lib/reliability.mjs';
import { parseExposition, scrape } from '../lib/prometheus.mjs';

const ROOT = path.resolve(TESTS_DIR, '..');
const ALERTS = path.join(ROOT, 'deploy', 'prometheus', 'alerts.yml');
const ALERT_TESTS = path.join(ROOT, 'deploy', 'prometheus', 'alerts_test.yml');
const DASHBOARD = path.join(ROOT, 'deploy', 'grafana', 'bulwark.json');
const PROMTOOL = process.env.PROMTOOL ?? '/usr/bin/promtool';

function promtool(args) {
  assert.ok(fs.existsSync(PROMTOOL),
    `${PROMTOOL} is missing: install Debian's prometheus package (scripts/bootstrap does: apt-get install prometheus)`);
  const r = spawnSync(PROMTOOL, args, { cwd: path.dirname(ALERTS), encoding: 'utf8', timeout: 60000 });
  assert.equal(r.error, undefined, `promtool ${args.join(' ')}: ${r.error}`);
  return r;
}

// ---- metric names in PromQL ----

const KEYWORDS = new Set(['and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right',
  'bool', 'offset', 'inf', 'nan']);

/**
 * The metric names a PromQL expression selects: identifiers that are not functions or aggregations (those are
 * followed by '('), keywords or numbers, once label matchers, strings, ranges, grouping lists and numbers are cut.
 */
function metricNames(expr) {
  let e = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
  e = e.replace(/\{[^}]*\}/g, ' ').replace(/\[[^\]]*\]/g, ' ');
  e = e.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  e = e.replace(/\b(group_left|group_right)\b/g, ' ');
  e = e.replace(/(^|[^a-zA-Z0-9_:.])\d+(\.\d+)?([eE][-+]?\d+)?/g, '$1 ');
  const names = new Set();
  for (const m of e.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const rest = e.slice(m.index + m[0].length);
    if (/^\s*\(/.test(rest) || KEYWORDS.has(m[0].toLowerCase())) continue;
    names.add(m[0]);
  }
  return names;
}

/** Every `expr` of the dashboard's panels (nested rows too) and the metric of each label_values() variable. */
function dashboardQueries(dash) {
  const exprs = [];
  const walk = (panels) => {
    for (const p of panels ?? []) {
      for (const t of p.targets ?? []) if (typeof t.expr === 'string') exprs.push({ where: `panel "${p.title}"`, expr: t.expr });
      walk(p.panels);
    }
  };
  walk(dash.panels);
  for (const v of dash.templating?.list ?? []) {
    const q = typeof v.query === 'string' ? v.query : v.query?.query;
    if (v.type !== 'query' || !q) continue;
    const m = /^label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,/.exec(q);
    assert.ok(m, `variable ${v.name}: a label_values(metric, label) query (${q})`);
    exprs.push({ where: `variable ${v.name}`, expr: m[1] });
  }
  return exprs;
}

function alertQueries() {
  // The rules file is YAML; its expressions are the `expr:` values (single line or a `|` block).
  const lines = fs.readFileSync(ALERTS, 'utf8').split('\n');
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)expr:\s*(.*)$/.exec(lines[i]);
    if (!m) continue;
    if (m[2] !== '|') {
      out.push({ where: `alerts.yml line ${i + 1}`, expr: m[2] });
      continue;
    }
    const body = [];
    for (i++; i < lines.length && (lines[i].trim() === '' || lines[i].search(/\S/) > m[1].length); i++) body.push(lines[i]);
    i--;
    out.push({ where: `alerts.yml expr ending line ${i + 1}`, expr: body.join('\n') });
  }
  return out;
}

describe('deploy/prometheus/alerts.yml', () => {
  test('promtool check rules accepts it', () => {
    const r = promtool(['check', 'rules', ALERTS]);
    assert.equal(r.status, 0, `promtool check rules:\n${r.stdout}\n${r.stderr}`);
    const m = /SUCCESS: (\d+) rules found/.exec(r.stdout);
    assert.ok(m && Number(m[1]) >= 6, r.stdout);
  });

  test('promtool test rules: each alert fires on its synthetic series (alerts_test.yml)', () => {
    const r = promtool(['test', 'rules', ALERT_TESTS]);
    assert.equal(r.status, 0, `promtool test rules:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /SUCCESS/);
    const rules = fs.readFileSync(ALERTS, 'utf8');
    for (const name of ['BulwarkToolHighErrorRate', 'BulwarkToolTimeouts', 'BulwarkToolSlowP95', 'BulwarkCircuitBreakerOpen',
      'BulwarkDbPoolNearExhaustion', 'BulwarkNotReady']) {
      assert.match(rules, new RegExp(`alert: ${name}\\n`), `the issue's alert ${name} exists`);
    }
  });

  test('the metric-name extractor sees through PromQL', () => {
    assert.deepEqual([...metricNames('histogram_quantile(0.95, sum by (tool, le) (rate(a_bucket{x="y{z}"}[5m]))) > on (tool) group_left b and c > 1e-9')].sort(),
      ['a_bucket', 'b', 'c']);
    assert.deepEqual([...metricNames('time() - process_start_time_seconds{instance=~"$instance"}')], ['process_start_time_seconds']);
  });
});

describe('deploy/grafana/bulwark.json and the alert rules use only exported metrics', () => {
  let tmp;
  let server;
  let exposed;

  before(async () => {
    tmp = makeTmp('deploy-assets');
    const cfg = writeConfig(tmp, `
reliability:
  dependencies:
    "exec:job": {breaker: {failure_threshold: 5}}
databases:
  main:
    driver: sqlite
    path: main.db
    pool: {min: 1, max: 2}
tools:
  - name: one
    annotations: {readOnlyHint: true}
    sql: {database: main, statement: "SELECT 1 AS one", result: row}
  - name: job
    exec: {command: /bin/sh, args: ["-c", "exit 3"]}
    policy: {dependency: "exec:job", retry: {max_attempts: 1}}
`);
    await assertConfigValid(cfg);
    server = await startHttp({ bin: bulwarkBin(), argv: ['serve', '-c', cfg, '--listen', '127.0.0.1:0'] });
    const sdk = await connectStreamable(server.url);
    try {
      await sdk.client.callTool({ name: 'one', arguments: {} });
      await sdk.client.callTool({ name: 'job', arguments: {} });
    } finally {
      await sdk.close();
    }
    const r = await scrape(server.base);
    assert.equal(r.status, 200);
    exposed = parseExposition(r.text).names();
  });

  after(async () => {
    if (server) await finishHttp(server);
    await killAllSpawned();
    rmTmp(tmp);
  });

  test('every dashboard query names exported metrics, and the golden signals are on it', () => {
    const dash = JSON.parse(fs.readFileSync(DASHBOARD, 'utf8'));
    assert.equal(typeof dash.title, 'string');
    assert.ok(Array.isArray(dash.panels) && dash.panels.length > 10);
    const ids = dash.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
    for (const p of dash.panels) if (p.type !== 'row') assert.ok(p.targets?.length > 0, `panel "${p.title}" has a query`);
    const queries = dashboardQueries(dash);
    const used = new Set();
    for (const { where, expr } of queries) {
      const names = metricNames(expr);
      assert.ok(names.size > 0, `${where}: no metric in ${expr}`);
      for (const n of names) {
        assert.ok(exposed.has(n), `${where}: ${n} is not exported by GET /metrics (${expr})`);
        used.add(n);
      }
    }
    for (const n of ['mcp_tool_calls_total', 'mcp_tool_call_duration_seconds_bucket', 'mcp_tool_errors_total',
      'mcp_requests_total', 'mcp_circuit_breaker_state', 'mcp_bulkhead_rejections_total', 'mcp_db_connections',
      'mcp_active_sessions', 'mcp_inflight_requests', 'mcp_sse_streams', 'process_resident_memory_bytes',
      'process_cpu_seconds_total', 'mcp_timeouts_total', 'mcp_retries_total', 'mcp_cache_hits_total']) {
      assert.ok(used.has(n), `the dashboard shows ${n}`);
    }
  });

  test('every alert rule names exported metrics', () => {
    const queries = alertQueries();
    assert.ok(queries.length >= 6, `${queries.length} expressions found`);
    for (const { where, expr } of queries) {
      const names = metricNames(expr);
      assert.ok(names.size > 0, `${where}: no metric in ${expr}`);
      for (const n of names) assert.ok(exposed.has(n), `${where}: ${n} is not exported by GET /metrics`);
    }
  });
});
