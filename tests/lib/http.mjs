// HTTP test helpers: start a Bulwark binary with --listen and wait for its ready line, raw HTTP/1.1
// requests (node:http, so every header — Host, Origin, Accept, Content-Type, MCP-* — is exactly what the test
// says), an SSE reader that yields {id, event, data, retry} events with timeouts, raw TCP sockets for the
// slowloris/malformed-request cases, and small MCP-over-HTTP helpers (initialize a session, POST a request
// and get its response whether the server answered with JSON or SSE).
//
// Every wait has a timeout; every spawned server is registered with raw-stdio's registerChild so
// killAllSpawned() reaps it by pid; only 127.0.0.1 is ever contacted.

import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import fs from 'node:fs';
import assert from 'node:assert/strict';
import { everythingBin, registerChild, WAIT_MS, CLIENT_INFO, LATEST } from './raw-stdio.mjs';

export { WAIT_MS, LATEST, CLIENT_INFO };

/** True when the binaries under test are the ASan/UBSan build (CTest sets BW_SANITIZE=1 there). */
export const SANITIZE = ['1', 'ON', 'on', 'true', 'TRUE'].includes(process.env.BW_SANITIZE ?? '');

export const ACCEPT_BOTH = 'application/json, text/event-stream';
export const SUPPORTED_REVISIONS = ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25'];
const READY_RE = /^listening on (http:\/\/127\.0\.0\.1:(\d+)\/mcp)$/;
// A text-format log line: "<RFC 3339 ts> LEVEL msg key=value ...".
const TEXT_LOG_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARN|ERROR) (.*)$/;

/**
 * The message of one stderr line, whatever its form: a JSON log line ({"ts","level","msg",...}: its msg and fields),
 * a text log line ("<ts> LEVEL msg key=value...": msg and the rest unparsed), or a plain line (an embedding program's
 * own output, e.g. bulwark-everything's ready line). Returns { msg, fields, format } with format 'json' | 'text' |
 * 'plain'.
 */
export function parseLogLine(line) {
  if (line.startsWith('{')) {
    try {
      const o = JSON.parse(line);
      if (o && typeof o === 'object' && typeof o.msg === 'string') return { msg: o.msg, fields: o, format: 'json' };
    } catch {
      // not JSON after all: a plain line
    }
  }
  const t = TEXT_LOG_RE.exec(line);
  if (t) return { msg: t[2], fields: { level: t[1].toLowerCase() }, format: 'text' };
  return { msg: line, fields: {}, format: 'plain' };
}

/**
 * The URL of a ready line ("listening on URL" in any of the forms parseLogLine knows; a JSON line must carry the same
 * URL in its "url" field), or null. prefix: the announcement's words ('listening on', 'admin on').
 */
export function announcedUrl(line, prefix = 'listening on') {
  const { msg, fields, format } = parseLogLine(line);
  // Text lines carry " url=URL" after the message: the message is the part before the first field.
  const text = format === 'text' ? msg.replace(/ url=\S+$/, '') : msg;
  if (!text.startsWith(`${prefix} `)) return null;
  const url = text.slice(prefix.length + 1);
  if (/\s/.test(url) || url.length === 0) return null;
  if (format === 'json' && fields.url !== url) return null;
  return url;
}

/** The ready line's match in the shape READY_RE gives ([line, url, port]) for any line form, or null. */
function readyMatch(line) {
  const url = announcedUrl(line);
  if (url === null) return null;
  return READY_RE.exec(`listening on ${url}`);
}
const SANITIZER_RE = /ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error:/;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Reject with `what` after ms unless p settles first. */
export function withTimeout(p, ms, what) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** Resident set size of a process in KiB (VmRSS from /proc/PID/status). */
export function rssKiB(pid) {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(s);
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]);
}

/** Number of open file descriptors of a process (for leak checks). */
export function fdCount(pid) {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

/** Run fn(item, index) over items with at most `limit` in flight; resolves with the results in order. */
export async function pool(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  async function worker() {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      results[i] = await fn(items[i], i);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

// ------------------------------------------------------------------------------------------------------------
// Server process

/**
 * A running server started with --listen. Fields: proc, pid, url ('http://127.0.0.1:P/mcp'), base
 * ('http://127.0.0.1:P'), port, hostHeader ('127.0.0.1:P'), readyLine, stderr (getter), exited (promise of
 * {code, signal}).
 */
export class HttpServer {
  constructor(proc, readyLine, url, port, stderrChunks, exited) {
    this.proc = proc;
    this.pid = proc.pid;
    this.readyLine = readyLine;
    this.url = url;
    this.port = port;
    this.base = `http://127.0.0.1:${port}`;
    this.hostHeader = `127.0.0.1:${port}`;
    this._stderr = stderrChunks;
    this.exited = exited;
  }

  get stderr() {
    return Buffer.concat(this._stderr).toString('utf8');
  }

  get running() {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  rssKiB() {
    return rssKiB(this.pid);
  }

  fdCount() {
    return fdCount(this.pid);
  }

  /** Send `signal` (by pid) and wait for the exit (SIGKILL after timeoutMs). Returns {code, signal, timedOut}. */
  async stop(signal = 'SIGTERM', timeoutMs = WAIT_MS) {
    const wasRunning = this.running;
    if (wasRunning) {
      try {
        process.kill(this.pid, signal);
      } catch {
        // already gone
      }
    }
    let timer;
    const t = new Promise((r) => {
      timer = setTimeout(() => r('timeout'), timeoutMs);
    });
    const r = await Promise.race([this.exited, t]);
    clearTimeout(timer);
    if (r === 'timeout') {
      await this.kill();
      return { ...(await this.exited), timedOut: true, wasRunning };
    }
    return { ...r, timedOut: false, wasRunning };
  }

  /** SIGKILL by pid if still running. */
  kill() {
    if (this.running) {
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    return this.exited;
  }

  /** The sanitizer report on stderr (from its first line, up to 8000 characters), or null. */
  sanitizerReport() {
    const err = this.stderr;
    const m = SANITIZER_RE.exec(err);
    if (!m) return null;
    const start = Math.max(0, err.lastIndexOf('\n', m.index) - 200);
    return err.slice(start, start + 8000);
  }

  assertNoSanitizerReport() {
    const r = this.sanitizerReport();
    assert.equal(r, null, `sanitizer report on stderr:\n${r}`);
  }
}

/**
 * Spawn a server with --listen and wait (timeoutMs) for its ready line on stderr:
 * `listening on http://127.0.0.1:PORT/mcp`, as a JSON or text log line (bulwark serve) or a plain line (the example
 * binaries); lines printed before it are kept in `linesBeforeReady`, the ready line itself in `readyLine`.
 * Options: bin (default BULWARK_EVERYTHING), argv (full argument list; default
 * ['--listen', listen, ...args]), listen ('127.0.0.1:0'), args (extra arguments), env.
 */
export function startHttp(opts = {}) {
  const bin = opts.bin ?? everythingBin();
  const listen = opts.listen ?? '127.0.0.1:0';
  const argv = opts.argv ?? ['--listen', listen, ...(opts.args ?? [])];
  const timeoutMs = opts.timeoutMs ?? WAIT_MS;
  const proc = spawn(bin, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...(opts.env || {}) } });
  registerChild(proc);
  const chunks = [];
  const stdoutChunks = [];
  const exited = new Promise((resolve) => proc.once('close', (code, signal) => resolve({ code, signal })));
  proc.stdout.on('data', (c) => stdoutChunks.push(c));
  return new Promise((resolve, reject) => {
    let done = false;
    const diag = () => `\nargv: ${bin} ${argv.join(' ')}\n-- stderr --\n${Buffer.concat(chunks).toString('utf8').slice(-3000)}`;
    const finish = (err, val) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) {
        try {
          process.kill(proc.pid, 'SIGKILL');
        } catch {
          // gone
        }
        reject(err);
      } else resolve(val);
    };
    const timer = setTimeout(() => finish(new Error(`no ready line within ${timeoutMs} ms${diag()}`)), timeoutMs);
    proc.once('error', (e) => finish(new Error(`spawn failed: ${e.message}${diag()}`)));
    exited.then(({ code, signal }) => finish(new Error(`server exited (code ${code}, signal ${signal}) before its ready line${diag()}`)));
    proc.stderr.on('data', (c) => {
      chunks.push(c);
      if (done) return;
      // The ready line is looked for among complete stderr lines; that it is the *only* line is asserted by a
      // dedicated test (http_streamable.test.mjs), so stray diagnostics fail one test, not every test.
      const text = Buffer.concat(chunks).toString('utf8');
      const lines = text.split('\n').slice(0, -1);
      const idx = lines.findIndex((l) => readyMatch(l) !== null);
      if (idx === -1) return;
      const first = lines[idx];
      const m = readyMatch(first);
      const port = Number(m[2]);
      if (!(port > 0 && port < 65536)) {
        finish(new Error(`ready line names port ${m[2]}${diag()}`));
        return;
      }
      const s = new HttpServer(proc, first, m[1], port, chunks, exited);
      s.linesBeforeReady = lines.slice(0, idx);
      s.stdout = () => Buffer.concat(stdoutChunks).toString('utf8');
      finish(null, s);
    });
  });
}

/**
 * Stop a server the way an operator does (SIGTERM by default) and assert: it exits within the timeout with
 * status 0 and left no sanitizer report on stderr. Under the ASan build this is the leak check.
 */
export async function finishHttp(server, signal = 'SIGTERM') {
  if (!server) return;
  const st = await server.stop(signal);
  server.assertNoSanitizerReport();
  assert.ok(st.wasRunning, `the server was still running at the end (it had exited: code ${st.code}, signal ${st.signal}; stderr tail: ${server.stderr.slice(-1000)})`);
  assert.equal(st.timedOut, false, `the server exits after ${signal} (stderr tail: ${server.stderr.slice(-1000)})`);
  assert.equal(st.code, 0, `exit status after ${signal} (signal ${st.signal}; stderr tail: ${server.stderr.slice(-1000)})`);
}

// ------------------------------------------------------------------------------------------------------------
// SSE

/**
 * Incremental text/event-stream parser over a readable stream (an http.IncomingMessage). Every event is
 * reported, including ones with no data (priming events): {id, event, data, retry, hasData, json, t}, where
 * `id`/`event`/`retry` are undefined when the field was absent, `data` is '' when absent, and `json` is the
 * parsed data (undefined if it is not JSON). Comment lines (`:…`) are recorded in `comments` ({text, t}).
 */
export class SseReader {
  constructor(stream, label = 'SSE stream') {
    this.stream = stream;
    this.label = label;
    this.events = [];
    this.comments = [];
    this.raw = '';
    this.ended = false;
    this.error = null;
    this._read = 0; // index of the next event next() returns
    this._waiters = new Set();
    this._line = '';
    this._cur = null;
    this._pendingCR = false;
    this._decoder = new TextDecoder('utf-8');
    stream.on('data', (chunk) => this._feed(this._decoder.decode(chunk, { stream: true })));
    const end = (err) => {
      if (this.ended) return;
      this.ended = true;
      this.error = err ?? null;
      this._notify();
    };
    this.cleanEnd = false; // true when the body ended normally (not a reset / truncated chunked body)
    stream.once('end', () => {
      this.cleanEnd = true;
      end();
    });
    stream.once('close', () => end());
    stream.once('aborted', () => end(new Error('aborted')));
    stream.once('error', (e) => end(e));
    this.endedPromise = new Promise((resolve) => {
      if (this.ended) resolve();
      else this._waiters.add({ check: () => this.ended, resolve, reject: () => {} });
    });
  }

  _feed(text) {
    this.raw += text;
    for (const ch of text) {
      if (this._pendingCR) {
        this._pendingCR = false;
        if (ch === '\n') continue; // CRLF
      }
      if (ch === '\r') {
        this._pendingCR = true;
        this._onLine(this._line);
        this._line = '';
      } else if (ch === '\n') {
        this._onLine(this._line);
        this._line = '';
      } else {
        this._line += ch;
      }
    }
    this._notify();
  }

  _onLine(line) {
    if (line === '') {
      if (this._cur) {
        const e = this._cur;
        this._cur = null;
        if (e.data === undefined) {
          e.data = '';
          e.hasData = false;
        } else e.hasData = true;
        try {
          e.json = e.data === '' ? undefined : JSON.parse(e.data);
        } catch {
          e.json = undefined;
        }
        e.t = Date.now();
        this.events.push(e);
      }
      return;
    }
    if (line.startsWith(':')) {
      this.comments.push({ text: line.slice(1), t: Date.now() });
      return;
    }
    const colon = line.indexOf(':');
    let field = line;
    let value = '';
    if (colon !== -1) {
      field = line.slice(0, colon);
      value = line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
    }
    if (!this._cur) this._cur = { id: undefined, event: undefined, data: undefined, retry: undefined };
    const e = this._cur;
    if (field === 'data') e.data = e.data === undefined ? value : `${e.data}\n${value}`;
    else if (field === 'id') e.id = value;
    else if (field === 'event') e.event = value;
    else if (field === 'retry') e.retry = value;
    else (e.unknown ??= []).push(line);
  }

  _notify() {
    for (const w of [...this._waiters]) {
      if (w.check()) {
        this._waiters.delete(w);
        clearTimeout(w.timer);
        w.resolve();
      }
    }
  }

  _wait(check, timeoutMs, what) {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w = { check, resolve, reject };
      w.timer = setTimeout(() => {
        this._waiters.delete(w);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} on ${this.label}${this.diag()}`));
      }, timeoutMs);
      this._waiters.add(w);
    });
  }

  diag() {
    return `\n-- raw stream so far (${this.raw.length} chars, ended=${this.ended}) --\n${this.raw.slice(-2500)}`;
  }

  /** The next event, or null once the stream has ended. Rejects after timeoutMs. */
  async next(timeoutMs = WAIT_MS) {
    await this._wait(() => this._read < this.events.length || this.ended, timeoutMs, 'the next event');
    if (this._read < this.events.length) return this.events[this._read++];
    return null;
  }

  /**
   * Read events until one satisfies pred; returns every event read (the match last). Rejects on timeout or
   * if the stream ends first.
   */
  async until(pred, timeoutMs = WAIT_MS, what = 'a matching event') {
    const got = [];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} on ${this.label}${this.diag()}`);
      const e = await this.next(left).catch((err) => {
        throw new Error(`${err.message.split('\n')[0]} (waiting for ${what})${this.diag()}`);
      });
      if (e === null) throw new Error(`${this.label} ended before ${what}${this.diag()}`);
      got.push(e);
      if (pred(e)) return got;
    }
  }

  /** Read every remaining event until the server ends the stream; rejects if it has not ended by timeoutMs. */
  async rest(timeoutMs = WAIT_MS) {
    await this._wait(() => this.ended, timeoutMs, 'the end of the stream');
    const out = this.events.slice(this._read);
    this._read = this.events.length;
    return out;
  }

  /** Resolves true if the stream ends within ms, false otherwise (never rejects). */
  async endsWithin(ms) {
    try {
      await this._wait(() => this.ended, ms, 'the end of the stream');
      return true;
    } catch {
      return false;
    }
  }

  /** JSON-RPC messages among all events received so far (events whose event type is absent or "message"). */
  messages() {
    return this.events.filter((e) => (e.event === undefined || e.event === 'message') && e.json !== undefined)
      .map((e) => e.json);
  }
}

/** Parse a complete SSE body (string) into events (an unterminated final event is not reported). */
export function parseSse(text) {
  const r = new SseReader({ on() {}, once() {} }, 'body');
  r._feed(text);
  return r.events;
}

// ------------------------------------------------------------------------------------------------------------
// HTTP requests

function lowerHeaders(res) {
  const h = {};
  for (const [k, v] of Object.entries(res.headers)) h[k.toLowerCase()] = v;
  return h;
}

/** Media type essence of a Content-Type value ('text/event-stream; charset=utf-8' → 'text/event-stream'). */
export function essence(ct) {
  return (ct ?? '').split(';')[0].trim().toLowerCase();
}

/** Add the server's state (exit status, stderr tail) to a connection error, when the server is known. */
function annotate(e, server) {
  if (!(server instanceof HttpServer)) return e;
  const st = server.running ? 'still running' : `exited (code ${server.proc.exitCode}, signal ${server.proc.signalCode})`;
  e.message += ` [server pid ${server.pid} ${st}; stderr tail: ${server.stderr.slice(-1500)}]`;
  return e;
}

function target(server) {
  if (server instanceof HttpServer) return { port: server.port, path: '/mcp' };
  const u = new URL(server);
  assert.equal(u.hostname, '127.0.0.1', 'tests only contact 127.0.0.1');
  return { port: Number(u.port), path: u.pathname + u.search };
}

function buildOptions(server, opts) {
  const t = target(server);
  const headers = { ...(opts.headers ?? {}) };
  let body = opts.body;
  if (body !== undefined && !Buffer.isBuffer(body) && typeof body !== 'string') body = JSON.stringify(body);
  if (typeof body === 'string') body = Buffer.from(body, 'utf8');
  const hasLen = Object.keys(headers).some((k) => k.toLowerCase() === 'content-length' || k.toLowerCase() === 'transfer-encoding');
  if (body !== undefined && !hasLen && !opts.chunked) headers['Content-Length'] = String(body.length);
  return {
    body,
    o: {
      host: '127.0.0.1',
      port: t.port,
      method: opts.method ?? 'POST',
      path: opts.path ?? t.path,
      headers,
      agent: opts.agent ?? false,
      setHost: opts.setHost ?? !Object.keys(headers).some((k) => k.toLowerCase() === 'host'),
    },
  };
}

/**
 * Open a request and resolve at the response headers (for streams). Options: method ('POST'), path ('/mcp'),
 * headers (sent as given), body (object → JSON, string, Buffer), agent (false: a fresh connection), setHost,
 * chunked (send the body with Transfer-Encoding: chunked in `chunks` pieces), timeoutMs (for the headers).
 * Resolves {status, headers, contentType, res, req, socket, sse (an SseReader when text/event-stream),
 * body() (the full body as a Buffer, with a timeout), destroy()}.
 */
export function open(server, opts = {}) {
  const { body, o } = buildOptions(server, opts);
  const timeoutMs = opts.timeoutMs ?? WAIT_MS;
  return new Promise((resolve, reject) => {
    const req = http.request(o);
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      req.destroy();
      reject(annotate(new Error(`no response headers within ${timeoutMs} ms for ${o.method} ${o.path}`), server));
    }, timeoutMs);
    req.once('error', (e) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(annotate(e, server));
    });
    req.once('response', (res) => {
      if (settled) {
        res.destroy();
        return;
      }
      settled = true;
      clearTimeout(timer);
      const headers = lowerHeaders(res);
      const contentType = headers['content-type'];
      const r = {
        status: res.statusCode,
        statusMessage: res.statusMessage,
        headers,
        rawHeaders: res.rawHeaders,
        httpVersion: res.httpVersion,
        contentType,
        res,
        req,
        socket: req.socket,
        sse: essence(contentType) === 'text/event-stream' ? new SseReader(res, `${o.method} ${o.path} SSE`) : null,
        destroy() {
          res.destroy();
          req.destroy();
        },
      };
      if (!r.sse) {
        const chunks = [];
        let ended = false;
        const endP = new Promise((res2, rej2) => {
          res.on('data', (c) => chunks.push(c));
          res.once('end', () => {
            ended = true;
            res2();
          });
          res.once('error', rej2);
          res.once('aborted', () => rej2(new Error('response aborted')));
          res.once('close', () => {
            if (!ended) rej2(new Error('connection closed before the end of the body'));
          });
        });
        endP.catch(() => {});
        r.body = (ms = WAIT_MS) => withTimeout(endP, ms, `body of ${o.method} ${o.path}`).then(() => Buffer.concat(chunks));
      } else {
        r.body = async (ms = WAIT_MS) => {
          await r.sse.rest(ms);
          return Buffer.from(r.sse.raw, 'utf8');
        };
      }
      resolve(r);
    });
    if (opts.chunked && body !== undefined) {
      const n = Math.max(1, opts.chunked === true ? 4 : opts.chunked);
      const size = Math.ceil(body.length / n);
      for (let i = 0; i < body.length; i += size) req.write(body.subarray(i, i + size));
      req.end();
    } else {
      req.end(body);
    }
  });
}

/**
 * A complete request: resolves {status, headers, contentType, body (Buffer), text, json (parsed or undefined),
 * events (SSE events, when the body is an event stream), messages (the JSON-RPC messages carried: the JSON body,
 * or each SSE message event), elapsedMs}. Waits at most timeoutMs for headers and body together.
 */
export async function request(server, opts = {}) {
  const t0 = Date.now();
  const timeoutMs = opts.timeoutMs ?? WAIT_MS;
  const r = await open(server, { ...opts, timeoutMs });
  let body;
  try {
    body = await r.body(Math.max(1, timeoutMs - (Date.now() - t0)));
  } catch (e) {
    r.destroy();
    throw e;
  }
  const text = body.toString('utf8');
  let json;
  if (!r.sse) {
    try {
      json = text.length ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
  }
  const events = r.sse ? r.sse.events : undefined;
  let messages = [];
  if (r.sse) messages = r.sse.messages();
  else if (json !== undefined) messages = Array.isArray(json) ? json : [json];
  return {
    status: r.status, statusMessage: r.statusMessage, headers: r.headers, contentType: r.contentType, body, text,
    json, events, messages, elapsedMs: Date.now() - t0, httpVersion: r.httpVersion,
  };
}

/** Headers for an MCP POST: JSON content type, both Accept types, and the session/version when given. */
export function mcpHeaders({ session, version, accept = ACCEPT_BOTH, contentType = 'application/json', extra } = {}) {
  const h = {};
  if (contentType !== null) h['Content-Type'] = contentType;
  if (accept !== null) h.Accept = accept;
  if (session !== undefined && session !== null) h['Mcp-Session-Id'] = session;
  if (version !== undefined && version !== null) h['MCP-Protocol-Version'] = version;
  return { ...h, ...(extra ?? {}) };
}

/** POST one JSON-RPC message (or a batch, or a raw string/Buffer) to /mcp. opts: session, version, accept, contentType, headers, path, timeoutMs, agent. */
export function post(server, msg, opts = {}) {
  return request(server, {
    method: 'POST',
    path: opts.path,
    headers: { ...mcpHeaders(opts), ...(opts.headers ?? {}) },
    body: msg,
    timeoutMs: opts.timeoutMs,
    agent: opts.agent,
    chunked: opts.chunked,
  });
}

/** Like post() but resolves at the response headers (for reading an SSE stream as it arrives). */
export function postOpen(server, msg, opts = {}) {
  return open(server, {
    method: 'POST',
    path: opts.path,
    headers: { ...mcpHeaders(opts), ...(opts.headers ?? {}) },
    body: msg,
    timeoutMs: opts.timeoutMs,
    agent: opts.agent,
  });
}

/** Open the standalone GET stream (or a resumption with lastEventId). Resolves at the headers. */
export function getStream(server, { session, version, lastEventId, accept = 'text/event-stream', headers, timeoutMs, path } = {}) {
  const h = {};
  if (accept !== null) h.Accept = accept;
  if (session) h['Mcp-Session-Id'] = session;
  if (version) h['MCP-Protocol-Version'] = version;
  if (lastEventId !== undefined) h['Last-Event-ID'] = lastEventId;
  return open(server, { method: 'GET', path, headers: { ...h, ...(headers ?? {}) }, timeoutMs });
}

/** DELETE /mcp with the session header. Resolves the full response. */
export function del(server, session, opts = {}) {
  const h = {};
  if (session) h['Mcp-Session-Id'] = session;
  return request(server, { method: 'DELETE', headers: { ...h, ...(opts.headers ?? {}) }, timeoutMs: opts.timeoutMs, agent: opts.agent });
}

let idCounter = 1;
/** A fresh numeric request id (unique within this test process). */
export function nextId() {
  return idCounter++;
}

export function req(method, params, id = nextId()) {
  const m = { jsonrpc: '2.0', id, method };
  if (params !== undefined) m.params = params;
  return m;
}

export function notification(method, params) {
  const m = { jsonrpc: '2.0', method };
  if (params !== undefined) m.params = params;
  return m;
}

export function initializeMsg(protocolVersion = LATEST, capabilities = {}, id = nextId()) {
  return req('initialize', { protocolVersion, capabilities, clientInfo: CLIENT_INFO }, id);
}

/** The response (result or error) with this id (same JSON type) among a response's messages, or undefined. */
export function responseTo(resp, id) {
  return resp.messages.find((m) => m && !('method' in m) && ('result' in m || 'error' in m) && m.id === id);
}

/**
 * initialize over HTTP (and, unless initialized === false, notifications/initialized → asserting 202).
 * Returns {session (the Mcp-Session-Id or undefined), result, resp, version (negotiated)}.
 * Asserts 200 and a result. opts: capabilities, headers, agent, timeoutMs, initialized.
 */
export async function initSession(server, protocolVersion = LATEST, opts = {}) {
  const msg = initializeMsg(protocolVersion, opts.capabilities ?? {});
  const resp = await post(server, msg, { headers: opts.headers, agent: opts.agent, timeoutMs: opts.timeoutMs });
  assert.equal(resp.status, 200, `initialize → 200 (got ${resp.status}: ${resp.text.slice(0, 300)})`);
  const r = responseTo(resp, msg.id);
  assert.ok(r && r.result, `initialize result: ${resp.text.slice(0, 500)}`);
  const session = resp.headers['mcp-session-id'];
  const version = r.result.protocolVersion;
  if (opts.initialized !== false) {
    const n = await post(server, notification('notifications/initialized'),
      { session, version, agent: opts.agent, timeoutMs: opts.timeoutMs });
    assert.equal(n.status, 202, `notifications/initialized → 202 (got ${n.status}: ${n.text.slice(0, 300)})`);
  }
  return { session, result: r.result, resp, version };
}

/**
 * POST a request in a session and return its JSON-RPC response message (whether the server answered with JSON
 * or SSE), asserting HTTP 200. Returns {msg, resp}.
 */
export async function rpc(server, session, method, params, opts = {}) {
  const m = req(method, params, opts.id ?? nextId());
  const resp = await post(server, m, { session, version: opts.version, agent: opts.agent, timeoutMs: opts.timeoutMs, headers: opts.headers });
  assert.equal(resp.status, 200, `${method} → HTTP 200 (got ${resp.status}: ${resp.text.slice(0, 300)})`);
  const msg = responseTo(resp, m.id);
  assert.ok(msg, `${method}: no response with id ${m.id} in ${resp.text.slice(0, 500)}`);
  return { msg, resp };
}

/** rpc() that asserts a result and returns it. */
export async function call(server, session, method, params, opts = {}) {
  const { msg } = await rpc(server, session, method, params, opts);
  assert.ok(!('error' in msg), `${method} failed: ${JSON.stringify(msg.error)}`);
  return msg.result;
}

/** Text of the first text block of a CallToolResult. */
export function textOf(result) {
  const b = (result?.content ?? []).find((c) => c.type === 'text');
  return b ? b.text : undefined;
}

/**
 * Assert a JSON-RPC error body: HTTP `status`, Content-Type application/json, one error object with `code`
 * (when given) and an id that is null or absent (an HTTP-level rejection has no request to point at).
 */
export function assertJsonRpcErrorBody(resp, status, code, what = '') {
  assert.equal(resp.status, status, `${what} HTTP status (body: ${resp.text.slice(0, 300)})`);
  assert.equal(essence(resp.contentType), 'application/json', `${what} Content-Type of the error body`);
  assert.ok(resp.json && typeof resp.json === 'object' && !Array.isArray(resp.json), `${what} a JSON object body: ${resp.text.slice(0, 300)}`);
  assert.equal(resp.json.jsonrpc, '2.0', `${what} jsonrpc 2.0`);
  assert.ok(resp.json.error && typeof resp.json.error === 'object', `${what} an error member: ${resp.text.slice(0, 300)}`);
  assert.equal(typeof resp.json.error.code, 'number', `${what} error.code is a number`);
  assert.equal(typeof resp.json.error.message, 'string', `${what} error.message is a string`);
  if (code !== undefined) assert.equal(resp.json.error.code, code, `${what} error.code`);
  assert.ok(!('id' in resp.json) || resp.json.id === null, `${what} id is null or absent: ${resp.text.slice(0, 300)}`);
  assert.ok(!('result' in resp.json), `${what} no result member`);
}

// ------------------------------------------------------------------------------------------------------------
// Raw TCP

/**
 * A raw TCP connection to 127.0.0.1:port. `closed` resolves (with the time it closed) when the server closes
 * it; `data` accumulates what was received. write() never throws after a close.
 */
export function rawConnect(port, timeoutMs = WAIT_MS) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    const chunks = [];
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`TCP connect to 127.0.0.1:${port} timed out`));
    }, timeoutMs);
    let closedAt = null;
    const closed = new Promise((res) => sock.once('close', () => {
      closedAt = Date.now();
      res(closedAt);
    }));
    sock.on('error', () => {});
    sock.on('data', (c) => chunks.push(c));
    sock.once('connect', () => {
      clearTimeout(timer);
      resolve({
        sock,
        closed,
        get closedAt() {
          return closedAt;
        },
        get data() {
          return Buffer.concat(chunks);
        },
        write(x) {
          return new Promise((res) => {
            if (sock.destroyed) {
              res(false);
              return;
            }
            sock.write(x, (err) => res(!err));
          });
        },
        /** Resolve true if the server closes the socket within ms. */
        async closesWithin(ms) {
          let t;
          const r = await Promise.race([closed.then(() => true), new Promise((r2) => {
            t = setTimeout(() => r2(false), ms);
          })]);
          clearTimeout(t);
          return r;
        },
        /** Wait until the received bytes contain the end of a response head; returns the status code (or null if closed first). */
        async status(ms = WAIT_MS) {
          const deadline = Date.now() + ms;
          while (Date.now() < deadline) {
            const s = Buffer.concat(chunks).toString('latin1');
            const m = /^HTTP\/1\.[01] (\d{3})[^\r\n]*\r\n/.exec(s);
            if (m && s.includes('\r\n\r\n')) return Number(m[1]);
            if (closedAt !== null) return m ? Number(m[1]) : null;
            await sleep(10);
          }
          throw new Error(`no response head within ${ms} ms; got ${JSON.stringify(Buffer.concat(chunks).toString('latin1').slice(0, 300))}`);
        },
        destroy() {
          sock.destroy();
        },
      });
    });
    sock.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}
