// Helpers of the status page and /events tests (issue 7): start `bulwark serve -c` on HTTP and wait for its ready
// line in either log format (JSON `{"msg":"listening on <url>",...}` or text), find the `admin on <url>` line of
// --admin-listen, read a counter family from a Prometheus text exposition, and drive MCP traffic over one
// keep-alive agent (single calls and JSON-RPC batches, 2025-03-26) with exact counts.
//
// Every wait is bounded; only 127.0.0.1 is contacted; spawned servers are registered for killAllSpawned().

import { spawn } from 'node:child_process';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { bulwarkBin, registerChild, WAIT_MS } from './raw-stdio.mjs';
import { HttpServer, post, initializeMsg, notification, responseTo } from './http.mjs';

const LISTEN_RE = /listening on (http:\/\/127\.0\.0\.1:(\d+)\/mcp)/;
const ADMIN_RE = /admin on (http:\/\/127\.0\.0\.1:(\d+))/;

/** A fresh temporary directory (remove with rmTmp). */
/**
 * Writes <tmp>/bulwark.yaml: an HTTP-less server named `name` with two SQLite tools — `one` (always succeeds) and
 * `jx` (fails with a permanent error unless its `s` argument is JSON with `a`) — logging at warn, and
 * `observability.status` set to the YAML flow text `status` when given. Returns the file's path.
 */
export function writeTwoToolConfig(tmp, { name, version, status }) {
  const file = path.join(tmp, 'bulwark.yaml');
  fs.writeFileSync(file, `
server: {name: ${name}, version: ${version}}
observability:
  logging: {level: warn}${status === undefined ? '' : `\n  status: ${status}`}
databases:
  scratch: {driver: sqlite, path: ${tmp}/scratch.db}
tools:
  - name: one
    input_schema: {type: object, additionalProperties: false}
    annotations: {readOnlyHint: true}
    sql: {database: scratch, statement: "SELECT 1 AS one", result: row}
  - name: jx
    input_schema: {type: object, properties: {s: {type: string}}, required: [s]}
    annotations: {readOnlyHint: true}
    sql: {database: scratch, statement: "SELECT json_extract(:s, '$.a') AS a", result: row}
`);
  return file;
}

export function makeTmp(tag) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `bulwark-obs-${tag}-`));
}

export function rmTmp(dir) {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * Resolves the first match of re among complete stderr lines of proc (chunks: the array its stderr data is pushed
 * to), or rejects after timeoutMs or when the process exits first.
 */
export function waitStderr(proc, chunks, re, timeoutMs = WAIT_MS, what = String(re)) {
  return new Promise((resolve, reject) => {
    const diag = () => `\n-- stderr --\n${Buffer.concat(chunks).toString('utf8').slice(-3000)}`;
    let done = false;
    const finish = (err, val) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      proc.stderr.off('data', check);
      proc.off('close', onExit);
      if (err) reject(err);
      else resolve(val);
    };
    const check = () => {
      const lines = Buffer.concat(chunks).toString('utf8').split('\n').slice(0, -1);
      for (const l of lines) {
        const m = re.exec(l);
        if (m) return finish(null, { match: m, line: l });
      }
      return undefined;
    };
    const onExit = (code, signal) => finish(new Error(`exited (code ${code}, signal ${signal}) before ${what}${diag()}`));
    const timer = setTimeout(() => finish(new Error(`no ${what} within ${timeoutMs} ms${diag()}`)), timeoutMs);
    proc.stderr.on('data', check);
    proc.once('close', onExit);
    check();
  });
}

/**
 * `bulwark serve -c file --listen 127.0.0.1:0 ...args`, resolved once it listens: an HttpServer (tests/lib/http.mjs)
 * whose `admin` is the --admin-listen base URL when one was asked for.
 */
export async function startServe(file, args = [], opts = {}) {
  const argv = ['serve', '-c', file, '--listen', '127.0.0.1:0', ...args];
  const proc = spawn(bulwarkBin(), argv, {
    cwd: path.dirname(file), stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...(opts.env ?? {}) },
  });
  registerChild(proc);
  const chunks = [];
  proc.stderr.on('data', (c) => chunks.push(c));
  proc.stdout.on('data', () => {});
  const exited = new Promise((resolve) => proc.once('close', (code, signal) => resolve({ code, signal })));
  let ready;
  try {
    ready = await waitStderr(proc, chunks, LISTEN_RE, opts.timeoutMs ?? WAIT_MS, 'listening line');
  } catch (e) {
    try {
      process.kill(proc.pid, 'SIGKILL');
    } catch {
      // gone
    }
    throw e;
  }
  const s = new HttpServer(proc, ready.line, ready.match[1], Number(ready.match[2]), chunks, exited);
  if (args.includes('--admin-listen')) s.admin = (await waitStderr(proc, chunks, ADMIN_RE, WAIT_MS, 'admin line')).match[1];
  return s;
}

/** The admin base URL printed by a process started with --admin-listen (proc, its stderr chunks). */
export async function adminUrl(proc, chunks) {
  return (await waitStderr(proc, chunks, ADMIN_RE, WAIT_MS, "'admin on <url>' line")).match[1];
}

/**
 * The sum of the samples of counter `name` whose labels include every label of `match` (e.g. {tool: 'one'}), from
 * a Prometheus text exposition. Asserts that the family is present.
 */
export function metricSum(text, name, match = {}) {
  let sum = 0;
  let seen = false;
  const re = new RegExp(`^${name}(?:\\{([^}]*)\\})? (\\S+)`, 'gm');
  for (const m of text.matchAll(re)) {
    const labels = {};
    for (const kv of (m[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[kv[1]] = kv[2];
    if (!Object.entries(match).every(([k, v]) => labels[k] === v)) continue;
    seen = true;
    sum += Number(m[2]);
  }
  assert.ok(seen, `no ${name} sample with labels ${JSON.stringify(match)} in /metrics:\n${text.slice(0, 3000)}`);
  return sum;
}

/** An MCP client over plain HTTP with one keep-alive agent: initialize, single calls, batches. */
export class McpHttp {
  constructor(server, version = '2025-03-26') {
    this.server = server;
    this.version = version;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    this.nextId = 1;
  }

  async init() {
    const msg = initializeMsg(this.version);
    const r = await post(this.server, msg, { agent: this.agent });
    assert.equal(r.status, 200, `initialize → 200 (${r.text.slice(0, 300)})`);
    this.session = r.headers['mcp-session-id'];
    const n = await post(this.server, notification('notifications/initialized'),
      { session: this.session, version: this.version, agent: this.agent });
    assert.equal(n.status, 202);
    return this;
  }

  /** One request; resolves its JSON-RPC response message. headers: extra request headers (e.g. X-Request-ID). */
  async request(method, params, headers = {}) {
    const m = { jsonrpc: '2.0', id: this.nextId++, method, params };
    const r = await post(this.server, m, { session: this.session, version: this.version, agent: this.agent, headers });
    assert.equal(r.status, 200, `${method} → 200 (${r.text.slice(0, 300)})`);
    const msg = responseTo(r, m.id);
    assert.ok(msg, `${method}: no response in ${r.text.slice(0, 300)}`);
    return msg;
  }

  /** `count` tools/call of `name` (arguments args) in one JSON-RPC batch; resolves the responses. */
  async batch(name, args, count) {
    const msgs = Array.from({ length: count }, () => ({
      jsonrpc: '2.0', id: this.nextId++, method: 'tools/call', params: { name, arguments: args },
    }));
    const r = await post(this.server, msgs, { session: this.session, version: this.version, agent: this.agent });
    assert.equal(r.status, 200, `batch → 200 (${r.text.slice(0, 300)})`);
    assert.equal(r.messages.length, count, 'one response per batched call');
    return r.messages;
  }

  close() {
    this.agent.destroy();
  }
}

/** GET a path on a base URL ('http://127.0.0.1:P') with node:http; resolves {status, headers, text}. */
export function httpGet(base, p, { method = 'GET', headers = {}, timeoutMs = WAIT_MS } = {}) {
  const u = new URL(p, base);
  assert.equal(u.hostname, '127.0.0.1', 'tests only contact 127.0.0.1');
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: Number(u.port), path: u.pathname + u.search, method, headers,
      agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    const timer = setTimeout(() => req.destroy(new Error(`${method} ${p}: no answer within ${timeoutMs} ms`)), timeoutMs);
    req.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.end();
  });
}
