// A local HTTP dependency for fault-injection tests: a node:http server on 127.0.0.1:0 whose behaviour a test switches
// at run time, and which records every request it receives (so a test can prove that no request reached it while a
// circuit breaker was open) and every request whose client gave up before the answer (so a test can prove that a
// deadline really aborted the transfer).
//
// Modes (setMode):
//   'ok'     200 application/json {"ok":true,"n":<request number>,"value":<server.value>}
//   'fail'   500 text/plain "upstream exploded" (the status can be changed with setMode('fail', {status: 503}))
//   'slow'   like 'ok' after delayMs (setMode('slow', {delayMs: 300}))
//   'stall'  never answers; the request stays open until the client gives up or close() is called
// Only loopback; close() destroys every open connection so no test waits on a stalled socket.

import http from 'node:http';
import { withTimeout, WAIT_MS } from './http.mjs';

export class FaultServer {
  constructor() {
    this.mode = 'ok';
    this.status = 500;
    this.delayMs = 0;
    this.value = 'v1';
    this.requests = []; // { n, method, url, t, aborted: false, abortedAt }
    this._waiters = new Set();
    this._timers = new Set();
    this._server = http.createServer((req, res) => this._handle(req, res));
    this._server.keepAliveTimeout = 5000;
  }

  /** Listen on 127.0.0.1 with a kernel-chosen port; resolves this. */
  listen() {
    return new Promise((resolve, reject) => {
      this._server.once('error', reject);
      this._server.listen(0, '127.0.0.1', () => {
        this.port = this._server.address().port;
        // The dependency name the policy layer gives an http tool: scheme://host:port, port always written.
        this.base = `http://127.0.0.1:${this.port}`;
        resolve(this);
      });
    });
  }

  setMode(mode, opts = {}) {
    if (!['ok', 'fail', 'slow', 'stall'].includes(mode)) throw new Error(`unknown fault mode ${mode}`);
    this.mode = mode;
    if (opts.status !== undefined) this.status = opts.status;
    if (opts.delayMs !== undefined) this.delayMs = opts.delayMs;
    if (opts.value !== undefined) this.value = opts.value;
  }

  /** Number of requests received so far. */
  get count() {
    return this.requests.length;
  }

  /** Requests whose client closed the connection before an answer was sent. */
  get aborted() {
    return this.requests.filter((r) => r.aborted);
  }

  /** Resolves once pred(this) holds (checked on every request and abort), or rejects after timeoutMs. */
  waitUntil(pred, timeoutMs = WAIT_MS, what = 'a fault-server condition') {
    if (pred(this)) return Promise.resolve();
    let w;
    const p = new Promise((resolve) => {
      w = { pred, resolve };
      this._waiters.add(w);
    });
    return withTimeout(p, timeoutMs, what).finally(() => this._waiters.delete(w));
  }

  _notify() {
    for (const w of [...this._waiters]) {
      if (w.pred(this)) {
        this._waiters.delete(w);
        w.resolve();
      }
    }
  }

  _handle(req, res) {
    const rec = { n: this.requests.length + 1, method: req.method, url: req.url, t: Date.now(), aborted: false };
    this.requests.push(rec);
    res.on('close', () => {
      if (!res.writableFinished) {
        rec.aborted = true;
        rec.abortedAt = Date.now();
        this._notify();
      }
    });
    req.resume(); // drain any body
    const mode = this.mode;
    const answerOk = () => {
      const body = JSON.stringify({ ok: true, n: rec.n, value: this.value });
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(body);
    };
    if (mode === 'ok') answerOk();
    else if (mode === 'fail') res.writeHead(this.status, { 'Content-Type': 'text/plain' }).end('upstream exploded');
    else if (mode === 'slow') {
      const timer = setTimeout(() => {
        this._timers.delete(timer);
        if (!res.destroyed) answerOk();
      }, this.delayMs);
      this._timers.add(timer);
    }
    // 'stall': no answer at all.
    this._notify();
  }

  /** Stop listening and destroy every connection (stalled ones included). */
  close() {
    for (const t of this._timers) clearTimeout(t);
    this._timers.clear();
    this._server.closeAllConnections();
    return new Promise((resolve) => this._server.close(() => resolve()));
  }
}

/** A FaultServer already listening. */
export async function startFaultServer() {
  return new FaultServer().listen();
}
