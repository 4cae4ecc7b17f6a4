// The peer for the stdio benchmark: the official MCP TypeScript SDK (McpServer + StdioServerTransport)
// registering the same `echo` tool as bulwark-everything (argument `text`, one text content item back).
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";

const server = new McpServer({ name: "ts-echo", version: "1.0.0" });
server.registerTool(
  "echo",
  { description: "Echoes back the input text", inputSchema: { text: z.string() } },
  async ({ text }) => ({ content: [{ type: "text", text }] }),
);
await server.connect(new StdioServerTransport());
