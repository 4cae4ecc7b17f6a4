// bench/http/sessions.mjs — opens N MCP sessions on a Streamable HTTP server and leaves them idle, for the
// idle-session RSS figure of bench/http/run.
//
//   node bench/http/sessions.mjs URL N [CONCURRENCY]      (defaults: CONCURRENCY 16)
//
// Each session: POST initialize (no session id) -> read Mcp-Session-Id -> POST notifications/initialized with it
// (expects 202). At most CONCURRENCY sessions are being opened at once, over keep-alive connections (node:http,
// no SDK client). Never sends DELETE: the sessions stay open on the server after this program exits. Then one
// echo tools/call on the first and on the last session checks they still answer. Prints one line on stdout:
//   SESSIONS {"requested":N,"opened":k,"failed":f,"seconds":s,"first_error":"...","check":"ok"|"..."}
// and exits 0 only if every session was opened. Bounded: each request times out after 10 s.
import http from "node:http";

const [url, nArg, cArg] = process.argv.slice(2);
const N = Number(nArg);
const C = Math.max(1, Math.min(256, Number(cArg ?? 16)));
if (!url || !Number.isInteger(N) || N < 1) {
  process.stderr.write("usage: sessions.mjs URL N [CONCURRENCY]\n");
  process.exit(2);
}
const agent = new http.Agent({ keepAlive: true, maxSockets: C });
const BASE = { "Content-Type": "application/json", Accept: "application/json, text/event-stream" };

function post(body, headers = {}) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request(url, { method: "POST", agent, headers: { ...BASE, ...headers, "Content-Length": Buffer.byteLength(data) }, timeout: 10000 }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("timeout after 10 s")));
    req.on("error", reject);
    req.end(data);
  });
}

const INIT = {
  jsonrpc: "2.0",
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "bulwark-bench-sessions", version: "1.0.0" } },
};

async function openOne(i) {
  const r = await post({ ...INIT, id: i });
  const sid = r.headers["mcp-session-id"];
  if (r.status !== 200 || !sid) throw new Error(`initialize #${i}: HTTP ${r.status}, session id ${sid ?? "missing"}: ${r.body.slice(0, 200)}`);
  const h = { "Mcp-Session-Id": sid, "MCP-Protocol-Version": "2025-06-18" };
  const n = await post({ jsonrpc: "2.0", method: "notifications/initialized" }, h);
  if (n.status !== 202) throw new Error(`notifications/initialized #${i}: HTTP ${n.status}: ${n.body.slice(0, 200)}`);
  return sid;
}

const t0 = performance.now();
const sids = new Array(N);
let next = 0, opened = 0, failed = 0, firstError = "";
async function worker() {
  while (next < N) {
    const i = next++;
    try {
      sids[i] = await openOne(i + 1);
      opened++;
    } catch (e) {
      failed++;
      if (!firstError) firstError = String(e.message ?? e);
    }
  }
}
await Promise.all(Array.from({ length: Math.min(C, N) }, worker));
const seconds = (performance.now() - t0) / 1000;

let check = "ok";
for (const sid of [sids.find(Boolean), sids.findLast(Boolean)]) {
  if (!sid) { check = "no session"; break; }
  try {
    const r = await post(
      { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "echo", arguments: { text: "still-here" } } },
      { "Mcp-Session-Id": sid, "MCP-Protocol-Version": "2025-06-18" },
    );
    if (r.status !== 200 || !r.body.includes('"text":"still-here"')) { check = `HTTP ${r.status}: ${r.body.slice(0, 200)}`; break; }
  } catch (e) {
    check = String(e.message ?? e);
    break;
  }
}
agent.destroy();
process.stdout.write(`SESSIONS ${JSON.stringify({ requested: N, opened, failed, seconds: Number(seconds.toFixed(3)), first_error: firstError, check })}\n`);
process.exit(failed === 0 && check === "ok" ? 0 : 1);
