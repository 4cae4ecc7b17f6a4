// A raw, line-based JSON-RPC client over a child process's stdio, for tests that need to see the exact
// bytes on the wire (ids and their JSON types, message order, malformed input) rather than what an SDK
// client lets through.
//
// Every stdout line must be one JSON-RPC message (an object with "jsonrpc":"2.0", or an array of them);
// anything else is recorded in `badLines` and fails `assertCleanStdout()` (which `close()` calls).
// Waiting is always "wait for this message, with a timeout" — never a fixed sleep. The only timed waits
// are `quiet()` windows that prove something did NOT arrive.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

const here = path.dirname(fileURLToPath(import.meta.url));
export const TESTS_DIR = path.resolve(here, '..');

/** Per-wait timeout: generous, because CTest may run an ASan build. */
export const WAIT_MS = Number(process.env.BULWARK_TEST_WAIT_MS) || 15000;

function binFromEnv(name, fallback) {
  const v = process.env[name];
  if (v && v.length) return path.resolve(process.cwd(), v);
  return path.resolve(TESTS_DIR, '..', 'build', fallback);
}

/** Path of the fixture server (BULWARK_EVERYTHING, default ../build/bulwark-everything). */
export function everythingBin() {
  return binFromEnv('BULWARK_EVERYTHING', 'bulwark-everything');
}

/** Path of the main binary (BULWARK_BIN, default ../build/bulwark). */
export function bulwarkBin() {
  return binFromEnv('BULWARK_BIN', 'bulwark');
}

export const CLIENT_INFO = { name: 'bulwark-tests', version: '0.0.0' };
export const REVISIONS = ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25'];
export const LATEST = '2025-11-25';

// Every process any RawClient (or the SDK helper) spawned in this test file, so an after() hook can kill
// whatever is left, by pid.
const spawned = new Set();

/** Register a child process so killAllSpawned() can reap it. */
export function registerChild(proc) {
  spawned.add(proc);
  proc.once('exit', () => spawned.delete(proc));
}

/** Kill (SIGKILL, by pid) every registered child process still running; resolves once they are gone. */
export async function killAllSpawned() {
  const waits = [];
  for (const proc of spawned) {
    if (proc.exitCode === null && proc.signalCode === null) {
      waits.push(new Promise((resolve) => proc.once('exit', resolve)));
      try {
        process.kill(proc.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  await Promise.all(waits);
  spawned.clear();
}

function isJsonRpcObject(m) {
  return m !== null && typeof m === 'object' && !Array.isArray(m) && m.jsonrpc === '2.0';
}

/** True for a response (result or error) whose id is strictly equal (same JSON type) to `id`. */
export function isResponseTo(id) {
  return (m) => isJsonRpcObject(m) && !('method' in m) && ('result' in m || 'error' in m) && m.id === id;
}

/** True for a notification with this method (no id member at all). */
export function isNotification(method) {
  return (m) => isJsonRpcObject(m) && m.method === method && !('id' in m);
}

export function isErrorResponse(m) {
  return isJsonRpcObject(m) && 'error' in m && !('method' in m);
}

export class RawClient {
  /**
   * Spawn `bin` with `args`. Options: env (merged over process.env), autoRespond (method → fn(params) →
   * result, for server→client requests; `ping` is answered with {} by default).
   */
  constructor(bin = everythingBin(), args = [], opts = {}) {
    this.bin = bin;
    this.args = args;
    this.messages = []; // { msg, line, t }
    this.badLines = []; // { line, reason }
    this.stderrChunks = [];
    this.nextId = 1;
    this.autoRespond = { ping: () => ({}), ...(opts.autoRespond || {}) };
    this._waiters = new Set();
    this._buf = Buffer.alloc(0);
    this._closed = false;

    this.proc = spawn(bin, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...(opts.env || {}) },
    });
    this.pid = this.proc.pid;
    registerChild(this.proc);
    this.proc.stdin.on('error', () => {}); // EPIPE after the server exits is reported via exit status
    this.proc.stdout.on('data', (chunk) => this._onStdout(chunk));
    this.proc.stderr.on('data', (chunk) => this.stderrChunks.push(chunk));
    this.exited = new Promise((resolve) => {
      this.proc.once('close', (code, signal) => {
        this._closed = true;
        if (this._buf.length) {
          this.badLines.push({ line: this._buf.toString('utf8'), reason: 'unterminated final line on stdout' });
        }
        for (const w of this._waiters) {
          clearTimeout(w.timer);
          w.reject(new Error(`server exited (code ${code}, signal ${signal}) while waiting for ${w.label}` +
            this._diag()));
        }
        this._waiters.clear();
        resolve({ code, signal });
      });
    });
    this.spawnError = null;
    this.proc.once('error', (e) => {
      this.spawnError = e;
    });
  }

  get stderr() {
    return Buffer.concat(this.stderrChunks).toString('utf8');
  }

  /** Parsed messages received so far (in order). */
  get received() {
    return this.messages.map((e) => e.msg);
  }

  /** Index in `messages` of a message object returned by waitFor/request. */
  indexOf(msg) {
    return this.messages.findIndex((e) => e.msg === msg);
  }

  /** Notifications (objects with a method and no id) received so far, optionally filtered by method. */
  notifications(method) {
    return this.received.filter((m) => isJsonRpcObject(m) && 'method' in m && !('id' in m) &&
      (method === undefined || m.method === method));
  }

  _onStdout(chunk) {
    this._buf = this._buf.length ? Buffer.concat([this._buf, chunk]) : chunk;
    let nl;
    while ((nl = this._buf.indexOf(0x0a)) !== -1) {
      const lineBuf = this._buf.subarray(0, nl);
      this._buf = this._buf.subarray(nl + 1);
      this._onLine(lineBuf);
    }
  }

  _onLine(lineBuf) {
    let line;
    try {
      line = new TextDecoder('utf-8', { fatal: true }).decode(lineBuf);
    } catch {
      this.badLines.push({ line: lineBuf.toString('latin1'), reason: 'invalid UTF-8 on stdout' });
      return;
    }
    let msg;
    try {
      msg = JSON.parse(line);
    } catch (e) {
      this.badLines.push({ line, reason: `not JSON: ${e.message}` });
      return;
    }
    const ok = Array.isArray(msg) ? msg.length > 0 && msg.every(isJsonRpcObject) : isJsonRpcObject(msg);
    if (!ok) this.badLines.push({ line, reason: 'JSON but not a JSON-RPC 2.0 message' });
    const entry = { msg, line, t: Date.now() };
    this.messages.push(entry);
    const index = this.messages.length - 1;

    // Server→client requests: answer the ones we know.
    if (isJsonRpcObject(msg) && typeof msg.method === 'string' && 'id' in msg) {
      const h = this.autoRespond[msg.method];
      if (h) {
        Promise.resolve()
          .then(() => h(msg.params, msg))
          .then(
            (result) => this.send({ jsonrpc: '2.0', id: msg.id, result }),
            (err) => this.send({ jsonrpc: '2.0', id: msg.id, error: { code: -32603, message: String(err) } }),
          );
      }
    }

    for (const w of [...this._waiters]) {
      if (index >= w.from && w.pred(msg)) {
        this._waiters.delete(w);
        clearTimeout(w.timer);
        w.resolve(entry);
      }
    }
  }

  _diag() {
    const last = this.messages.slice(-8).map((e) => '  < ' + e.line.slice(0, 400)).join('\n');
    const err = this.stderr.slice(-2000);
    return `\n-- last stdout messages --\n${last || '  (none)'}\n-- stderr tail --\n${err || '  (empty)'}`;
  }

  /** Write an object (as one JSON line), or a string/Buffer exactly as given (no newline added). */
  send(x) {
    let data;
    if (Buffer.isBuffer(x) || x instanceof Uint8Array) data = x;
    else if (typeof x === 'string') data = x;
    else data = JSON.stringify(x) + '\n';
    return new Promise((resolve, reject) => {
      if (this.proc.stdin.destroyed || this.proc.stdin.writableEnded) {
        reject(new Error('stdin already closed'));
        return;
      }
      this.proc.stdin.write(data, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Send a notification (no id). */
  notify(method, params) {
    const m = { jsonrpc: '2.0', method };
    if (params !== undefined) m.params = params;
    return this.send(m);
  }

  /**
   * Wait for the first message (at index >= opts.from, default 0) matching `pred`. Resolves with the
   * message; rejects after `timeoutMs` or if the server exits first.
   */
  async waitFor(pred, timeoutMs = WAIT_MS, opts = {}) {
    const e = await this.waitForEntry(pred, timeoutMs, opts);
    return e.msg;
  }

  waitForEntry(pred, timeoutMs = WAIT_MS, opts = {}) {
    const from = opts.from ?? 0;
    const label = opts.label ?? 'a matching message';
    for (let i = from; i < this.messages.length; i++) {
      if (pred(this.messages[i].msg)) return Promise.resolve(this.messages[i]);
    }
    if (this._closed) {
      return Promise.reject(new Error(`server already exited; never got ${label}` + this._diag()));
    }
    return new Promise((resolve, reject) => {
      const w = { pred, from, resolve, reject, label };
      w.timer = setTimeout(() => {
        this._waiters.delete(w);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${label}` + this._diag()));
      }, timeoutMs);
      this._waiters.add(w);
    });
  }

  /** Send a request and resolve with its response message (matched by id with strict JSON type). */
  async request(method, params, opts = {}) {
    const id = 'id' in opts ? opts.id : this.nextId++;
    const m = { jsonrpc: '2.0', id, method };
    if (params !== undefined) m.params = params;
    const from = this.messages.length;
    const p = this.waitFor(isResponseTo(id), opts.timeout ?? WAIT_MS, {
      from: opts.from ?? from,
      label: `response to ${method} (id ${JSON.stringify(id)})`,
    });
    await this.send(m);
    return p;
  }

  /** request() that asserts a result (no error) and returns it. */
  async call(method, params, opts = {}) {
    const r = await this.request(method, params, opts);
    assert.ok(!('error' in r), `${method} failed: ${JSON.stringify(r.error)}`);
    assert.ok('result' in r, `${method}: response has no result: ${JSON.stringify(r)}`);
    return r.result;
  }

  /** ping and assert the exact result {} — proves the server is still serving. */
  async assertAlive(msg = 'server still answers ping') {
    const r = await this.request('ping');
    assert.deepEqual(r, { jsonrpc: '2.0', id: r.id, result: {} }, msg);
  }

  /**
   * Wait `ms` and assert that no message matching `pred` (at index >= from) arrived. Used only to prove an
   * absence (e.g. "no response to a cancelled request").
   */
  async quiet(pred, ms, from = 0, what = 'an unexpected message') {
    await new Promise((r) => setTimeout(r, ms));
    const hits = this.messages.slice(from).filter((e) => pred(e.msg)).map((e) => e.line);
    assert.deepEqual(hits, [], `expected no ${what}`);
  }

  /**
   * Send `raw` (object, string or Buffer), then a ping; wait for the ping's answer and for `expected` other
   * messages (whatever order they come in), then a short quiet window to catch extras. Returns the
   * messages other than the ping's answer. Asserts the ping answer is exactly {}.
   */
  async exchange(raw, expected, quietMs = 100) {
    const from = this.messages.length;
    await this.send(raw);
    const pong = await this.request('ping', undefined, { id: `barrier-${this.nextId++}` });
    assert.deepEqual(pong.result, {}, 'server still answers ping');
    const others = () => this.messages.slice(from).filter((e) => e.msg !== pong).map((e) => e.msg);
    if (expected > 0) {
      await this.waitFor(() => others().length >= expected, WAIT_MS,
        { from, label: `${expected} repl${expected === 1 ? 'y' : 'ies'} to ${String(raw).slice(0, 80)}` });
    }
    await new Promise((r) => setTimeout(r, quietMs));
    return others();
  }

  /** initialize + notifications/initialized; returns the initialize result. */
  async initialize(protocolVersion = LATEST, capabilities = {}) {
    const result = await this.call('initialize', { protocolVersion, capabilities, clientInfo: CLIENT_INFO });
    await this.notify('notifications/initialized');
    return result;
  }

  assertCleanStdout() {
    assert.deepEqual(this.badLines, [], 'every stdout line must be one JSON-RPC message');
  }

  /**
   * End stdin and wait for the process to exit (up to timeoutMs). Kills it (SIGKILL, by pid) on timeout.
   * Returns { code, signal, timedOut }.
   */
  async close(timeoutMs = WAIT_MS) {
    try {
      this.proc.stdin.end();
    } catch {
      // ignore
    }
    let timer;
    const timeout = new Promise((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const r = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (r === 'timeout') {
      this.kill();
      const st = await this.exited;
      return { ...st, timedOut: true };
    }
    return { ...r, timedOut: false };
  }

  /** SIGKILL by pid if still running. */
  kill() {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    return this.exited;
  }
}

/** Spawn the fixture server (bulwark-everything) with args. */
export function spawnEverything(args = [], opts = {}) {
  return new RawClient(everythingBin(), args, opts);
}

/** Spawn the fixture server and initialize it at `revision`. */
export async function startInitialized(revision = LATEST, args = [], capabilities = {}, opts = {}) {
  const c = spawnEverything(args, opts);
  await c.initialize(revision, capabilities);
  return c;
}

/** Walk every page of a list method with the raw client; returns { items, pages }. */
export async function rawListAll(c, method, key, params = {}) {
  const items = [];
  const pages = [];
  let cursor;
  for (let i = 0; i < 1000; i++) {
    const p = { ...params };
    if (cursor !== undefined) p.cursor = cursor;
    const r = await c.call(method, p);
    assert.ok(Array.isArray(r[key]), `${method}: result.${key} must be an array`);
    pages.push(r);
    items.push(...r[key]);
    if (!('nextCursor' in r) || r.nextCursor === undefined) return { items, pages };
    assert.equal(typeof r.nextCursor, 'string', `${method}: nextCursor must be a string`);
    cursor = r.nextCursor;
  }
  throw new Error(`${method}: pagination did not terminate`);
}

/** Text of the first text content block of a CallToolResult. */
export function textOf(result) {
  const block = (result.content || []).find((c) => c.type === 'text');
  return block ? block.text : undefined;
}

/**
 * Run a command to completion (stdin closed at once, or fed `input`), killing it by pid after timeoutMs.
 * Resolves { code, signal, stdout, stderr, timedOut }.
 */
export function runCommand(bin, args = [], { input, timeoutMs = WAIT_MS, env, cwd } = {}) {
  return new Promise((resolve) => {
    const proc = spawn(bin, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...(env || {}) } });
    registerChild(proc);
    const out = [];
    const err = [];
    let timedOut = false;
    proc.stdout.on('data', (c) => out.push(c));
    proc.stderr.on('data', (c) => err.push(c));
    proc.stdin.on('error', () => {});
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(proc.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }, timeoutMs);
    proc.once('error', (e) => err.push(Buffer.from(String(e))));
    proc.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code, signal, timedOut, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    if (input !== undefined) proc.stdin.end(input);
    else proc.stdin.end();
  });
}

/**
 * End a session the way a client does (EOF on stdin) and assert a clean exit: status 0 and no sanitizer
 * report on stderr. Under the ASan build this is the leak check for the whole session.
 */
export async function finish(c) {
  if (!c) return;
  const st = await c.close();
  const report = /ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error:/.exec(c.stderr);
  assert.equal(report, null, `sanitizer report on stderr:\n${c.stderr.slice(-4000)}`);
  assert.equal(st.timedOut, false, 'the server exits after EOF');
  assert.equal(st.code, 0, `exit status after EOF (stderr tail: ${c.stderr.slice(-1000)})`);
  c.assertCleanStdout();
}
