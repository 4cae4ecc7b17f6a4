// Connecting the official TypeScript SDK client (1.x) to a Bulwark HTTP server: Streamable HTTP
// (StreamableHTTPClientTransport, stateful or stateless) and the legacy 2024-11-05 HTTP+SSE transport
// (SSEClientTransport). The server process itself comes from ./http.mjs (startHttp).

import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { WAIT_MS, CLIENT_INFO } from './raw-stdio.mjs';

export const REQ_OPTS = { timeout: WAIT_MS };

async function connectWith(transport, opts) {
  const client = new Client(opts.clientInfo ?? CLIENT_INFO, { capabilities: opts.capabilities ?? {} });
  const errors = [];
  let closing = false;
  // Errors the SDK reports while the test is running (a bad media type, a non-JSON-RPC SSE event, a failed
  // GET stream, …). Errors after close() begins (aborted sockets) are expected and not recorded.
  client.onerror = (e) => {
    if (!closing) errors.push(e);
  };
  if (opts.setup) opts.setup(client);
  await client.connect(transport, { timeout: WAIT_MS });
  return {
    client,
    transport,
    errors,
    get sessionId() {
      return transport.sessionId;
    },
    /** Close the client (aborts its sockets; the SDK never sends DELETE on close). */
    async close() {
      closing = true;
      await client.close();
    },
    /** DELETE the session (transport.terminateSession), then close. */
    async terminate() {
      await transport.terminateSession();
      closing = true;
      await client.close();
    },
    assertNoErrors(filter = () => true) {
      assert.deepEqual(errors.filter(filter).map((e) => String(e)), [], 'SDK client reported errors');
    },
  };
}

/**
 * Connect an SDK Client over Streamable HTTP to `url` (e.g. server.url).
 * Options: capabilities, setup(client) (register handlers before connect), clientInfo, transport (extra
 * StreamableHTTPClientTransport options, e.g. reconnectionOptions).
 */
export async function connectStreamable(url, opts = {}) {
  // Every HTTP exchange the transport makes: {method, status, contentType, sessionId, t}. Lets a test wait
  // until the SDK's standalone GET stream is open before it triggers a session-wide notification.
  const exchanges = [];
  const waiters = new Set();
  const recordingFetch = async (u, init) => {
    const r = await fetch(u, init);
    exchanges.push({ method: init?.method ?? 'GET', status: r.status, contentType: r.headers.get('content-type'), t: Date.now() });
    for (const w of [...waiters]) {
      if (w.pred(exchanges.at(-1))) {
        waiters.delete(w);
        clearTimeout(w.timer);
        w.resolve(exchanges.at(-1));
      }
    }
    return r;
  };
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    reconnectionOptions: { initialReconnectionDelay: 100, maxReconnectionDelay: 1000, reconnectionDelayGrowFactor: 1.5, maxRetries: 3 },
    fetch: recordingFetch,
    ...(opts.transport ?? {}),
  });
  const s = await connectWith(transport, opts);
  s.exchanges = exchanges;
  /** Wait (with a timeout) for an HTTP exchange matching pred (already made or future). */
  s.waitExchange = (pred, timeoutMs = WAIT_MS, what = 'an HTTP exchange') => {
    const hit = exchanges.find(pred);
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve };
      w.timer = setTimeout(() => {
        waiters.delete(w);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; exchanges: ${JSON.stringify(exchanges)}`));
      }, timeoutMs);
      waiters.add(w);
    });
  };
  return s;
}

/** Connect an SDK Client over the legacy HTTP+SSE transport: GET `sseUrl` (e.g. server.base + '/sse'). */
export function connectLegacySse(sseUrl, opts = {}) {
  const transport = new SSEClientTransport(new URL(sseUrl), opts.transport ?? {});
  return connectWith(transport, opts);
}

export { expectMcpError } from './sdk.mjs';

/** Collect notifications and wait (with a timeout) for a count: see tests/lib/sdk.mjs collector(). */
export { collector } from './sdk.mjs';
