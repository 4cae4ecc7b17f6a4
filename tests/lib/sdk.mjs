// Connecting the official TypeScript SDK client (1.x) to the real binary over stdio.

import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { everythingBin, registerChild, WAIT_MS, CLIENT_INFO } from './raw-stdio.mjs';

/**
 * Spawn the fixture server and connect an SDK Client to it.
 * Options: args (server CLI args), capabilities (client capabilities), setup(client) (called before
 * connect — set request/notification handlers there), bin.
 * Returns { client, transport, proc, pid, errors, stderr(), close() }.
 * `errors` collects every transport/protocol error the SDK reports (e.g. a stdout line that is not
 * JSON-RPC); tests assert it stays empty.
 */
export async function connectSdk(opts = {}) {
  const transport = new StdioClientTransport({
    command: opts.bin ?? everythingBin(),
    args: opts.args ?? [],
    env: { ...process.env },
    stderr: 'pipe',
  });
  const client = new Client(CLIENT_INFO, { capabilities: opts.capabilities ?? {} });
  const errors = [];
  client.onerror = (e) => errors.push(e);
  if (opts.setup) opts.setup(client);
  const stderrChunks = [];
  // The stderr stream exists before start() when stderr is 'pipe'.
  transport.stderr?.on('data', (c) => stderrChunks.push(c));

  let proc;
  try {
    await client.connect(transport, { timeout: WAIT_MS });
  } finally {
    // StdioClientTransport keeps the ChildProcess privately; we need it to check the exit status and to
    // kill by pid in after().
    proc = transport._process;
    if (proc) registerChild(proc);
  }
  const exited = new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) resolve({ code: proc.exitCode, signal: proc.signalCode });
    else proc.once('exit', (code, signal) => resolve({ code, signal }));
  });

  return {
    client,
    transport,
    proc,
    pid: proc.pid,
    errors,
    exited,
    stderr: () => Buffer.concat(stderrChunks).toString('utf8'),
    /** Close the client (ends stdin); returns the exit status. Kills by pid if it lingers. */
    async close() {
      await client.close();
      if (proc.exitCode === null && proc.signalCode === null) {
        try {
          process.kill(proc.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      return exited;
    },
    assertNoErrors() {
      assert.deepEqual(errors.map((e) => String(e)), [], 'SDK client reported errors (non-JSON-RPC stdout?)');
    },
  };
}

/** Walk every page of a paginated SDK list call, e.g. sdkListAll((p) => client.listTools(p), 'tools'). */
export async function sdkListAll(listFn, key) {
  const items = [];
  let cursor;
  for (let i = 0; i < 1000; i++) {
    const r = await listFn(cursor === undefined ? {} : { cursor }, { timeout: WAIT_MS });
    items.push(...r[key]);
    if (r.nextCursor === undefined) return items;
    cursor = r.nextCursor;
  }
  throw new Error('pagination did not terminate');
}

/** Await a promise expected to reject with an McpError; returns the error. */
export async function expectMcpError(promise, code, re) {
  let err;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  assert.ok(err, `expected an error ${code}, got a result`);
  assert.equal(err.code, code, `error code: ${err.message}`);
  if (re) assert.match(err.message, re);
  return err;
}

export const REQ_OPTS = { timeout: WAIT_MS };

/**
 * Collects notifications an SDK notification handler receives, and lets a test wait (with a timeout) until
 * at least `count` have arrived: `const c = collector(); client.setNotificationHandler(S, c.handler);
 * await c.waitCount(1)`.
 */
export function collector(label = 'notification') {
  const items = [];
  const waiters = new Set();
  return {
    items,
    handler(n) {
      items.push(n);
      for (const w of [...waiters]) {
        if (items.length >= w.count) {
          waiters.delete(w);
          clearTimeout(w.timer);
          w.resolve(items);
        }
      }
    },
    waitCount(count, timeoutMs = WAIT_MS) {
      if (items.length >= count) return Promise.resolve(items);
      return new Promise((resolve, reject) => {
        const w = { count, resolve };
        w.timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${label} #${count} (have ${items.length})`));
        }, timeoutMs);
        waiters.add(w);
      });
    },
  };
}

/** Close an SDK session (EOF on stdin) and assert: no SDK errors, exit status 0, no sanitizer report. */
export async function finishSdk(s) {
  if (!s) return;
  const st = await s.close();
  const err = s.stderr();
  assert.equal(/ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error:/.exec(err), null,
    `sanitizer report on stderr:\n${err.slice(-4000)}`);
  assert.equal(st.code, 0, `exit status after EOF (signal ${st.signal}; stderr tail: ${err.slice(-1000)})`);
  s.assertNoErrors();
}
