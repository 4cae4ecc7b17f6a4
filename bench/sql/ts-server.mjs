// The peer for the SQL benchmark: the official MCP TypeScript SDK (McpServer + StreamableHTTPServerTransport on the
// SDK's own Express app, createMcpExpressApp), stateless with JSON responses (a new McpServer + transport per POST,
// as the SDK's README shows), serving the same two tools as bench/sql/bulwark.yaml:
//   get_customer_sqlite  node:sqlite DatabaseSync (Node 22's built-in SQLite), one prepared statement
//   get_customer_pg      the `pg` package, a Pool of at most 8 connections, a named (server-side prepared) statement
// each `SELECT id, name, email, city, created_at FROM customers WHERE id = :id` ($1 for PostgreSQL), returning the
// row as structuredContent plus its JSON text, or isError when there is no such row -- what Bulwark's `result: row`
// does. The database handles are opened once and shared by every request.
//
//   node ts-server.mjs --sqlite FILE --pg postgresql://USER@HOST:PORT/DB [--listen HOST:PORT]
// (--listen defaults to 127.0.0.1:0) prints "listening on http://HOST:PORT/mcp" on stderr once both databases
// answered a first query.
import { DatabaseSync } from "node:sqlite";
import pg from "pg";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { createMcpExpressApp } from "@modelcontextprotocol/sdk/server/express.js";
import { z } from "zod";

const SQL = "SELECT id, name, email, city, created_at FROM customers WHERE id = :id";
const PG_SQL = SQL.replace(":id", "$1");

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const sqlitePath = opt("--sqlite");
const pgUrl = opt("--pg");
const listen = opt("--listen", "127.0.0.1:0");
if (!sqlitePath || !pgUrl) {
  process.stderr.write("usage: ts-server.mjs --sqlite FILE --pg postgresql://USER@HOST:PORT/DB [--listen HOST:PORT]\n");
  process.exit(2);
}
const host = listen.slice(0, listen.lastIndexOf(":"));
const port = Number(listen.slice(listen.lastIndexOf(":") + 1));

const sqlite = new DatabaseSync(sqlitePath, { readOnly: true });
const sqliteStmt = sqlite.prepare(SQL);
const pool = new pg.Pool({ connectionString: pgUrl, max: 8 });
pool.on("error", (e) => process.stderr.write(`ts-server: idle pg client: ${e.message}\n`));

const rowResult = (row, id) =>
  row
    ? { content: [{ type: "text", text: JSON.stringify(row) }], structuredContent: row }
    : { content: [{ type: "text", text: `no customer with id ${id}` }], isError: true };

const inputSchema = { id: z.number().int().min(1) };

function newServer() {
  const server = new McpServer({ name: "ts-sql", version: "1.0.0" });
  server.registerTool(
    "get_customer_sqlite",
    { description: "One customer by id (SQLite)", inputSchema, annotations: { readOnlyHint: true } },
    async ({ id }) => {
      const row = sqliteStmt.get({ id });
      return rowResult(row && { ...row }, id); // node:sqlite rows have a null prototype
    },
  );
  server.registerTool(
    "get_customer_pg",
    { description: "One customer by id (PostgreSQL)", inputSchema, annotations: { readOnlyHint: true } },
    async ({ id }) => {
      const r = await pool.query({ name: "get_customer", text: PG_SQL, values: [id] });
      return rowResult(r.rows[0], id);
    },
  );
  return server;
}

function jsonRpcError(res, status, message) {
  res.status(status).json({ jsonrpc: "2.0", error: { code: -32000, message }, id: null });
}

const app = createMcpExpressApp({ host });
app.post("/mcp", async (req, res) => {
  const server = newServer();
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
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

// Fail fast (no "listening" line) when either database is unusable, so the bench reports "did not start".
try {
  if (!sqliteStmt.get({ id: 1 })) throw new Error("sqlite: no customer 1");
  await pool.query("SELECT 1");
} catch (e) {
  process.stderr.write(`ts-server: ${e.message}\n`);
  process.exit(1);
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
  httpServer.close(() => pool.end().finally(() => process.exit(0)));
  httpServer.closeAllConnections();
  setTimeout(() => process.exit(0), 500).unref();
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
