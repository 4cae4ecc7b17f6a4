// The modern-era (2026-07-28) peer for the HTTP benchmark: the official MCP TypeScript SDK v2
// (@modelcontextprotocol/server + @modelcontextprotocol/node, pinned in package.json) with the same `echo` tool as
// bulwark-everything (argument `text`, one text content item back), wired the way the v2 packages' READMEs show for
// plain node:http: createMcpHandler(factory) -> toNodeHandler(handler), behind the SDK's own localhost Host/Origin
// guards. createMcpHandler is the v2 stateless entry: it calls the factory for every HTTP request (a fresh McpServer
// per exchange, as the 2026-07-28 revision has no session) and answers 2025-era requests through its stateless
// legacy fallback. The default responseMode ('auto') answers the echo with one application/json body, as Bulwark
// does, since the tool emits nothing before its result ('json' would only add a warning on stderr).
//   --listen HOST:PORT   (default 127.0.0.1:0) — prints "listening on http://HOST:PORT/mcp" on stderr when ready
import { createServer } from "node:http";
import { McpServer, createMcpHandler } from "@modelcontextprotocol/server";
import { localhostHostValidation, localhostOriginValidation, toNodeHandler } from "@modelcontextprotocol/node";
import { z } from "zod";

const args = process.argv.slice(2);
const li = args.indexOf("--listen");
const listen = li >= 0 ? args[li + 1] : "127.0.0.1:0";
const host = listen.slice(0, listen.lastIndexOf(":"));
const port = Number(listen.slice(listen.lastIndexOf(":") + 1));

function newServer() {
  const server = new McpServer({ name: "ts-v2-echo", version: "1.0.0" });
  server.registerTool(
    "echo",
    { description: "Echoes back the input text", inputSchema: { text: z.string() } },
    async ({ text }) => ({ content: [{ type: "text", text }] }),
  );
  return server;
}

const report = (e) => process.stderr.write(`ts-v2-server: ${e?.stack ?? e}\n`);
const handler = createMcpHandler(newServer, { onerror: report });
const serve = toNodeHandler(handler, { onerror: report });
const validateHost = localhostHostValidation();
const validateOrigin = localhostOriginValidation();

const httpServer = createServer((req, res) => {
  if (!validateHost(req, res) || !validateOrigin(req, res)) return; // the guards answered 403 themselves
  const path = (req.url ?? "").split("?", 1)[0];
  if (path !== "/mcp") {
    res.writeHead(404, { "Content-Type": "text/plain" }).end("Not Found");
    return;
  }
  serve(req, res).catch((e) => {
    report(e);
    if (!res.headersSent) res.writeHead(500).end();
  });
});
httpServer.listen(port, host, () => {
  const a = httpServer.address();
  process.stderr.write(`listening on http://${host}:${a.port}/mcp\n`);
});
httpServer.on("error", (e) => {
  process.stderr.write(`ts-v2-server: ${e.message}\n`);
  process.exit(1);
});
const stop = () => {
  handler.close().catch(() => {});
  httpServer.close(() => process.exit(0));
  httpServer.closeAllConnections();
  setTimeout(() => process.exit(0), 500).unref();
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
