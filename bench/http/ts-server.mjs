// The peer for the HTTP benchmark: the official MCP TypeScript SDK (McpServer + StreamableHTTPServerTransport on
// the SDK's own Express app, createMcpExpressApp) with the same `echo` tool as bulwark-everything (argument `text`,
// one text content item back), wired as the SDK's README shows:
//   default       stateful: one transport + McpServer per session (randomUUID session ids), kept in a map until
//                 the session is deleted; enableJsonResponse, so a POST is answered with application/json
//   --stateless   a new McpServer + transport (sessionIdGenerator: undefined) for every POST, closed when the
//                 response ends; also with enableJsonResponse, so both modes answer the way Bulwark does
//   --sse         answer POSTs with a text/event-stream instead (enableJsonResponse: false), either mode
//   --listen HOST:PORT   (default 127.0.0.1:0) — prints "listening on http://HOST:PORT/mcp" on stderr when ready
import { randomUUID } from "node:crypto";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { createMcpExpressApp } from "@modelcontextprotocol/sdk/server/express.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";

const args = process.argv.slice(2);
const stateless = args.includes("--stateless");
const enableJsonResponse = !args.includes("--sse");
const li = args.indexOf("--listen");
const listen = li >= 0 ? args[li + 1] : "127.0.0.1:0";
const host = listen.slice(0, listen.lastIndexOf(":"));
const port = Number(listen.slice(listen.lastIndexOf(":") + 1));

function newServer() {
  const server = new McpServer({ name: "ts-echo", version: "1.0.0" });
  server.registerTool(
    "echo",
    { description: "Echoes back the input text", inputSchema: { text: z.string() } },
    async ({ text }) => ({ content: [{ type: "text", text }] }),
  );
  return server;
}

function jsonRpcError(res, status, message) {
  res.status(status).json({ jsonrpc: "2.0", error: { code: -32000, message }, id: null });
}

const app = createMcpExpressApp({ host });

if (stateless) {
  app.post("/mcp", async (req, res) => {
    const server = newServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse });
    res.on("close", () => {
      transport.close();
      server.close();
    });
    try {
      await server.connect(transport);
      await transport.handleRequest(req, res, req.body);
    } catch (e) {
      if (!res.headersSent) jsonRpcError(res, 500, "Internal server error");
    }
  });
  const notAllowed = (req, res) => jsonRpcError(res, 405, "Method not allowed.");
  app.get("/mcp", notAllowed);
  app.delete("/mcp", notAllowed);
} else {
  const transports = new Map(); // session id -> transport
  app.post("/mcp", async (req, res) => {
    const sid = req.headers["mcp-session-id"];
    let transport = sid ? transports.get(sid) : undefined;
    if (!transport) {
      if (sid || !isInitializeRequest(req.body)) return jsonRpcError(res, 400, "Bad Request: No valid session ID provided");
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        enableJsonResponse,
        onsessioninitialized: (id) => transports.set(id, transport),
      });
      transport.onclose = () => {
        if (transport.sessionId) transports.delete(transport.sessionId);
      };
      await newServer().connect(transport);
    }
    await transport.handleRequest(req, res, req.body);
  });
  const bySession = async (req, res) => {
    const transport = transports.get(req.headers["mcp-session-id"]);
    if (!transport) return res.status(400).send("Invalid or missing session ID");
    await transport.handleRequest(req, res);
  };
  app.get("/mcp", bySession);
  app.delete("/mcp", bySession);
}

const httpServer = app.listen(port, host, () => {
  const a = httpServer.address();
  process.stderr.write(`listening on http://${host}:${a.port}/mcp\n`);
});
httpServer.on("error", (e) => {
  process.stderr.write(`ts-server: ${e.message}\n`);
  process.exit(1);
});
const stop = () => {
  httpServer.close(() => process.exit(0));
  httpServer.closeAllConnections();
  setTimeout(() => process.exit(0), 500).unref();
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
