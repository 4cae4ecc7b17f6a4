// Helpers for the 2026-07-28 ("modern", stateless) era: the per-request _meta envelope, raw modern POSTs with the
// routing headers (MCP-Protocol-Version, Mcp-Method, Mcp-Name), modern requests over a RawClient's stdio, exact
// error assertions (code, HTTP status, error.id echoing the request id), and a fetch that records every HTTP
// exchange an SDK client makes (request and JSON response bodies) so a test can assert the bytes on the wire
// behind an SDK call.
//
// Nothing here keeps state between requests except the id counter of ./http.mjs: the modern era has none.

import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import { post, postOpen, nextId, essence } from './http.mjs';
import { CLIENT_INFO, WAIT_MS, registerChild } from './raw-stdio.mjs';

export const MODERN = '2026-07-28';
export const META_VERSION = 'io.modelcontextprotocol/protocolVersion';
export const META_CAPS = 'io.modelcontextprotocol/clientCapabilities';
export const META_INFO = 'io.modelcontextprotocol/clientInfo';
export const META_SUBSCRIPTION = 'io.modelcontextprotocol/subscriptionId';
export const META_SERVER_INFO = 'io.modelcontextprotocol/serverInfo';
export const TASKS_EXT = 'io.modelcontextprotocol/tasks';

/** The capabilities the conformance harness declares by default. */
export const ALL_CAPS = { sampling: {}, elicitation: {}, roots: { listChanged: true } };
/** Capabilities declaring the tasks extension (and elicitation, which the task fixtures ask for). */
export const TASK_CAPS = { elicitation: {}, extensions: { [TASKS_EXT]: {} } };

/** The per-request envelope: version, capabilities (default ALL_CAPS), clientInfo, plus `extra` keys. */
export function envelope(caps = ALL_CAPS, extra = {}) {
  return { [META_VERSION]: MODERN, [META_CAPS]: caps, [META_INFO]: CLIENT_INFO, ...extra };
}

/**
 * A modern request message. opts: id (default a fresh number), caps (the envelope's clientCapabilities), meta
 * (extra _meta keys, e.g. progressToken), noMeta (send params exactly as given).
 */
export function modernMsg(method, params = {}, opts = {}) {
  const id = 'id' in opts ? opts.id : nextId();
  const p = opts.noMeta ? params : { ...params, _meta: { ...envelope(opts.caps, opts.meta) } };
  return { jsonrpc: '2.0', id, method, params: p };
}

/** The value the spec puts in Mcp-Name for this request, or undefined when the method has none. */
export function routingName(method, params = {}) {
  if (method === 'tools/call' || method === 'prompts/get') return params.name;
  if (method === 'resources/read') return params.uri;
  if (method === 'tasks/get' || method === 'tasks/update' || method === 'tasks/cancel') return params.taskId;
  return undefined;
}

/** The routing headers of a modern POST for msg (a request object), merged with `extra` (null values delete). */
export function modernHeaders(msg, extra = {}) {
  const h = { 'MCP-Protocol-Version': MODERN, 'Mcp-Method': msg.method };
  const name = routingName(msg.method, msg.params);
  if (typeof name === 'string') h['Mcp-Name'] = name;
  for (const [k, v] of Object.entries(extra)) {
    for (const have of Object.keys(h)) if (have.toLowerCase() === k.toLowerCase()) delete h[have];
    if (v !== null) h[k] = v;
  }
  return h;
}

/**
 * POST one modern request (built with modernMsg, or given as `opts.msg`) with the routing headers.
 * opts: those of modernMsg, headers (merged over the routing headers; null deletes one), timeoutMs.
 * Returns {msg (what was sent), resp (see http.mjs request()), reply (the response with msg.id, or undefined)}.
 */
export async function modernPost(server, method, params = {}, opts = {}) {
  const msg = opts.msg ?? modernMsg(method, params, opts);
  const resp = await post(server, msg, { headers: modernHeaders(msg, opts.headers), timeoutMs: opts.timeoutMs });
  const reply = resp.messages.find((m) => m && !('method' in m) && m.id === msg.id);
  return { msg, resp, reply };
}

/** Like modernPost but resolves at the response headers (SSE read as it arrives: listen, progress). */
export async function modernOpen(server, method, params = {}, opts = {}) {
  const msg = opts.msg ?? modernMsg(method, params, opts);
  const r = await postOpen(server, msg, { headers: modernHeaders(msg, opts.headers), timeoutMs: opts.timeoutMs });
  return { msg, r };
}

/** modernPost that asserts HTTP 200 and a result; returns the result. */
export async function modernCall(server, method, params = {}, opts = {}) {
  const { resp, reply } = await modernPost(server, method, params, opts);
  assert.equal(resp.status, 200, `${method} → HTTP 200 (got ${resp.status}: ${resp.text.slice(0, 400)})`);
  assert.ok(reply && 'result' in reply, `${method}: a result: ${resp.text.slice(0, 600)}`);
  return reply.result;
}

/**
 * Assert a JSON error reply to a modern POST: HTTP `status`, a JSON body (application/json), error.code `code`,
 * error.id strictly equal to the request id, no result. Returns the error object.
 */
export function assertModernError({ msg, resp }, status, code, what = '') {
  const tag = `${what} ${msg.method}`.trim();
  assert.equal(resp.status, status, `${tag}: HTTP status (body: ${resp.text.slice(0, 400)})`);
  assert.equal(essence(resp.contentType), 'application/json', `${tag}: Content-Type of the error`);
  const j = resp.json;
  assert.ok(j && typeof j === 'object' && !Array.isArray(j), `${tag}: one JSON object: ${resp.text.slice(0, 400)}`);
  assert.equal(j.jsonrpc, '2.0');
  assert.ok(!('result' in j), `${tag}: no result: ${resp.text.slice(0, 400)}`);
  assert.ok(j.error && typeof j.error.message === 'string', `${tag}: an error with a message: ${resp.text.slice(0, 400)}`);
  assert.equal(j.error.code, code, `${tag}: error.code (message: ${j.error.message})`);
  assert.deepEqual(j.id, msg.id, `${tag}: error.id echoes the request id`);
  return j.error;
}

/** A modern request over a RawClient (stdio): the response message. opts: id, caps, meta, noMeta, timeout. */
export function stdioModern(c, method, params = {}, opts = {}) {
  const msg = modernMsg(method, params, { ...opts, id: 'id' in opts ? opts.id : `m-${c.nextId++}` });
  return c.request(method, msg.params, { id: msg.id, timeout: opts.timeout });
}

/**
 * A fetch for SDK transports that records every exchange: {method, url, headers (lower-case keys), request
 * (parsed JSON body or undefined), status, contentType, response (parsed JSON when the reply is application/json)}.
 * Event-stream replies are passed through untouched (their bodies are not recorded: a listen stream never ends).
 */
export function recordingFetch() {
  const log = [];
  async function f(url, init = {}) {
    const headers = Object.fromEntries(new Headers(init.headers ?? {}).entries());
    let request;
    try {
      request = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
    } catch {
      request = undefined;
    }
    const res = await fetch(url, init);
    const entry = { method: init.method ?? 'GET', url: String(url), headers, request, status: res.status, contentType: res.headers.get('content-type') };
    log.push(entry);
    if (essence(entry.contentType) === 'application/json') {
      entry.response = await res.clone().json().catch(() => undefined);
    }
    return res;
  }
  return { fetch: f, log };
}

/** The recorded POSTs whose JSON-RPC request has this method (and, when given, this params.name). */
export function postsFor(log, method, name) {
  return log.filter((e) => e.method === 'POST' && e.request?.method === method &&
    (name === undefined || e.request.params?.name === name));
}

// ------------------------------------------------------------------------------------------------------------
// One stdio server process shared by several SDK clients

/**
 * Spawns one server on stdio and hands out SDK Transport objects ("ports") that share its pipe, so a legacy
 * client (initialize + session) and a 2026-07-28 client talk to the same process, interleaved. Every request id
 * (and progress token, and listen id in notifications/cancelled) a port sends is rewritten to a string
 * "<tag>#<n>" on the wire and restored on the way back; subscription-tagged and progress notifications go to the
 * port whose id they carry; everything else from the server (server→client requests, untagged notifications)
 * goes to the port named `legacy`. The ports have no pid/stderr, so the v2 client negotiates in place.
 * `wire` keeps every line ({dir:'>'|'<', line, msg}); `badLines` every stdout line that is not one JSON-RPC
 * message.
 */
export class StdioMux {
  constructor(bin, args = []) {
    this.proc = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    registerChild(this.proc);
    this.pid = this.proc.pid;
    this.wire = [];
    this.badLines = [];
    this.ports = {};
    this._stderr = [];
    this._buf = '';
    this.proc.stdin.on('error', () => {});
    this.proc.stderr.on('data', (c) => this._stderr.push(c));
    this.proc.stdout.setEncoding('utf8');
    this.proc.stdout.on('data', (d) => this._feed(d));
    this.exited = new Promise((resolve) => this.proc.once('close', (code, signal) => {
      for (const p of Object.values(this.ports)) p.onclose?.();
      resolve({ code, signal });
    }));
  }

  get stderr() {
    return Buffer.concat(this._stderr).toString('utf8');
  }

  /** The lines received (server → clients), parsed. */
  received() {
    return this.wire.filter((w) => w.dir === '<').map((w) => w.msg);
  }

  _feed(text) {
    this._buf += text;
    let nl;
    while ((nl = this._buf.indexOf('\n')) !== -1) {
      const line = this._buf.slice(0, nl);
      this._buf = this._buf.slice(nl + 1);
      let msg;
      try {
        msg = JSON.parse(line);
      } catch (e) {
        this.badLines.push({ line, reason: e.message });
        continue;
      }
      if (!msg || msg.jsonrpc !== '2.0' || Array.isArray(msg)) this.badLines.push({ line, reason: 'not one JSON-RPC message' });
      this.wire.push({ dir: '<', line, msg });
      this._route(msg);
    }
  }

  _route(msg) {
    const meta = msg.params?._meta;
    for (const port of Object.values(this.ports)) {
      const restored = port.restore(msg, meta);
      if (restored) {
        port.onmessage?.(restored);
        return;
      }
    }
    this.ports.legacy?.onmessage?.(msg);
  }

  /** A Transport for one SDK client; `tag` 'legacy' also receives everything not addressed to another port. */
  port(tag) {
    const mux = this;
    const wireOf = new Map(); // JSON of the client's id → wire id
    const clientOf = new Map(); // wire id → the client's id
    let n = 0;
    const toWire = (id) => {
      const k = JSON.stringify(id);
      if (!wireOf.has(k)) {
        const w = `${tag}#${n++}`;
        wireOf.set(k, w);
        clientOf.set(w, id);
      }
      return wireOf.get(k);
    };
    const t = {
      async start() {},
      async close() {
        t.onclose?.();
      },
      async send(message) {
        const m = structuredClone(message);
        if ('method' in m && 'id' in m) {
          m.id = toWire(m.id);
          const token = m.params?._meta?.progressToken;
          if (token !== undefined) m.params._meta.progressToken = toWire(token);
        }
        if (m.method === 'notifications/cancelled' && m.params && 'requestId' in m.params) {
          m.params.requestId = toWire(m.params.requestId);
        }
        const line = JSON.stringify(m);
        mux.wire.push({ dir: '>', line, msg: m, tag });
        await new Promise((resolve, reject) => mux.proc.stdin.write(`${line}\n`, (e) => (e ? reject(e) : resolve())));
      },
      /** The message with this port's ids restored, or null when it is not addressed to this port. */
      restore(msg, meta) {
        if (!('method' in msg) && clientOf.has(msg.id)) return { ...msg, id: clientOf.get(msg.id) };
        const sub = meta?.[META_SUBSCRIPTION];
        if (sub !== undefined && clientOf.has(sub)) {
          const m = structuredClone(msg);
          m.params._meta[META_SUBSCRIPTION] = clientOf.get(sub);
          return m;
        }
        const token = msg.params?.progressToken;
        if (msg.method === 'notifications/progress' && clientOf.has(token)) {
          const m = structuredClone(msg);
          m.params.progressToken = clientOf.get(token);
          return m;
        }
        return null;
      },
    };
    this.ports[tag] = t;
    return t;
  }

  /**
   * End stdin and assert a clean exit: status 0 within the wait, no sanitizer report, every stdout line one
   * JSON-RPC message.
   */
  async finish() {
    this.proc.stdin.end();
    let timer;
    const r = await Promise.race([this.exited, new Promise((res) => {
      timer = setTimeout(() => res('timeout'), WAIT_MS);
    })]);
    clearTimeout(timer);
    if (r === 'timeout') {
      process.kill(this.pid, 'SIGKILL');
      await this.exited;
    }
    assert.equal(/ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error:/.exec(this.stderr), null,
      `sanitizer report on stderr:\n${this.stderr.slice(-4000)}`);
    assert.notEqual(r, 'timeout', 'the server exits after EOF');
    assert.equal(r.code, 0, `exit status after EOF (stderr tail: ${this.stderr.slice(-1000)})`);
    assert.deepEqual(this.badLines, [], 'every stdout line is one JSON-RPC message');
  }
}
