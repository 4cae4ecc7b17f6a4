// A fake OpenTelemetry collector for tracing tests: a node:http server on 127.0.0.1:0 that accepts OTLP/HTTP JSON
// trace exports (POST /v1/traces), keeps every request (headers and parsed body) and flattens the spans for
// assertions. Modes: 'ok' (200 {}), 'fail' (500), 'stall' (never answers; the request stays open until the client
// gives up or close() is called). Only loopback; every wait is bounded.

import http from 'node:http';
import { sleep, WAIT_MS } from './http.mjs';

/** The plain value of an OTLP AnyValue ({stringValue} | {intValue: "12"} | {boolValue} | {doubleValue}). */
export function anyValue(v) {
  if (v == null) return undefined;
  if ('stringValue' in v) return v.stringValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('boolValue' in v) return v.boolValue;
  if ('doubleValue' in v) return v.doubleValue;
  return v;
}

/** {key: plain value} of an OTLP attribute list. */
export function attrMap(list) {
  const m = {};
  for (const a of list ?? []) m[a.key] = anyValue(a.value);
  return m;
}

export class OtlpCollector {
  constructor(mode = 'ok') {
    this.mode = mode;
    this.requests = []; // {headers, body (parsed JSON or undefined), raw, t}
    this._server = http.createServer((req, res) => this._handle(req, res));
  }

  listen() {
    return new Promise((resolve, reject) => {
      this._server.once('error', reject);
      this._server.listen(0, '127.0.0.1', () => {
        this.port = this._server.address().port;
        this.url = `http://127.0.0.1:${this.port}/v1/traces`;
        resolve(this);
      });
    });
  }

  _handle(req, res) {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body;
      try {
        body = JSON.parse(raw);
      } catch {
        body = undefined;
      }
      this.requests.push({ method: req.method, url: req.url, headers: req.headers, body, raw, t: Date.now() });
      if (this.mode === 'ok') res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
      else if (this.mode === 'fail') res.writeHead(500, { 'Content-Type': 'text/plain' }).end('collector down');
      // 'stall': no answer.
    });
  }

  /**
   * Every span received so far, flattened: {traceId, spanId, parentSpanId, name, kind, attrs, status, start, end,
   * resource (attribute map), scope}. Times are BigInt nanoseconds.
   */
  get spans() {
    const out = [];
    for (const r of this.requests) {
      for (const rs of r.body?.resourceSpans ?? []) {
        const resource = attrMap(rs.resource?.attributes);
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            out.push({
              traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId ?? '', name: s.name, kind: s.kind,
              attrs: attrMap(s.attributes), status: s.status ?? {}, start: BigInt(s.startTimeUnixNano),
              end: BigInt(s.endTimeUnixNano), resource, scope: ss.scope, raw: s,
            });
          }
        }
      }
    }
    return out;
  }

  /** Spans of one trace. */
  trace(traceId) {
    return this.spans.filter((s) => s.traceId === traceId);
  }

  /** Resolves the spans once pred(spans) holds (polled every 20 ms), or rejects after timeoutMs. */
  async waitFor(pred, timeoutMs = WAIT_MS, what = 'spans at the collector') {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const s = this.spans;
      if (pred(s)) return s;
      if (Date.now() >= end) {
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${s.length} spans received: ${JSON.stringify(s.map((x) => x.name))})`);
      }
      await sleep(20);
    }
  }

  close() {
    this._server.closeAllConnections();
    return new Promise((resolve) => this._server.close(() => resolve()));
  }
}

/** An OtlpCollector already listening. */
export async function startCollector(mode = 'ok') {
  return new OtlpCollector(mode).listen();
}
