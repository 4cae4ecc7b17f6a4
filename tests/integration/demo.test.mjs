// The demo of `make run` (examples/demo/bulwark.yaml) end to end with the official SDK client (1.x), over stdio and
// over Streamable HTTP at the same time, on a fresh database file: tool results are compared with what the SQLite
// file itself holds (read with Node's node:sqlite), writes are checked in the file, refusals leave it unchanged.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { killAllSpawned, bulwarkBin, runCommand, TESTS_DIR } from '../lib/raw-stdio.mjs';
import { connectSdk, finishSdk, sdkListAll, expectMcpError, REQ_OPTS } from '../lib/sdk.mjs';
import { startHttp, finishHttp } from '../lib/http.mjs';
import { connectStreamable } from '../lib/http-sdk.mjs';

const DEMO = path.resolve(TESTS_DIR, '../examples/demo');
const CONFIG = path.join(DEMO, 'bulwark.yaml');
const TOOLS = ['get_customer', 'create_order', 'list_orders', 'query_database'];

let tmp;
let dbPath;
let stdio;
let http;
let httpClient;

function db() {
  return new DatabaseSync(dbPath, { readOnly: true });
}

function scalar(sql, ...params) {
  const d = db();
  try {
    return Object.values(d.prepare(sql).get(...params))[0];
  } finally {
    d.close();
  }
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-demo-'));
  dbPath = path.join(tmp, 'demo.db');
  process.env.BULWARK_DEMO_DB = dbPath; // connectSdk passes process.env to the child
  stdio = await connectSdk({ bin: bulwarkBin(), args: ['serve', '-c', CONFIG, '--stdio'] });
  http = await startHttp({ bin: bulwarkBin(), argv: ['serve', '-c', CONFIG, '--listen', '127.0.0.1:0'], env: { BULWARK_DEMO_DB: dbPath } });
  httpClient = await connectStreamable(http.url);
});

after(async () => {
  await httpClient?.close();
  await finishHttp(http);
  await finishSdk(stdio);
  fs.rmSync(tmp, { recursive: true, force: true });
});
// Registered after the orderly shutdown above, so it only catches what a failed test left running.
after(killAllSpawned);

describe('demo over stdio and HTTP', () => {
  test('the database was created and seeded on first start', () => {
    assert.equal(scalar('SELECT count(*) FROM customers'), 60);
    assert.equal(scalar('SELECT count(*) FROM products'), 10);
    assert.ok(scalar('SELECT count(*) FROM orders') >= 240);
  });

  test('both transports list the four tools with their schemas and annotations', async () => {
    for (const client of [stdio.client, httpClient.client]) {
      const tools = await sdkListAll((p, o) => client.listTools(p, o), 'tools');
      assert.deepEqual(tools.map((t) => t.name).sort(), [...TOOLS].sort());
      const get = tools.find((t) => t.name === 'get_customer');
      assert.deepEqual(get.inputSchema.required, ['id']);
      assert.equal(get.annotations.readOnlyHint, true);
      assert.equal(tools.find((t) => t.name === 'create_order').annotations.readOnlyHint, false);
    }
  });

  test('get_customer returns the row as structured content, equal to the database', async () => {
    const d = db();
    const row = d.prepare('SELECT id, name, email, city, plan, signed_up_at, churned_at FROM customers WHERE id = 5').get();
    const orders = d.prepare('SELECT count(*) AS n FROM orders WHERE customer_id = 5').get().n;
    d.close();
    for (const client of [stdio.client, httpClient.client]) {
      const r = await client.callTool({ name: 'get_customer', arguments: { id: 5 } }, undefined, REQ_OPTS);
      assert.equal(r.isError ?? false, false, JSON.stringify(r));
      assert.deepEqual({ ...r.structuredContent, order_count: undefined, total_spent_cents: undefined },
        { ...row, order_count: undefined, total_spent_cents: undefined });
      assert.equal(r.structuredContent.order_count, orders);
      assert.equal(r.structuredContent.churned_at, row.churned_at); // customer 5 churned: a date string
      assert.match(r.content[0].text, /name: .*\n/);
    }
  });

  test('get_customer of an unknown id is a tool error, and a wrong type is refused before SQL', async () => {
    const r = await stdio.client.callTool({ name: 'get_customer', arguments: { id: 999999 } }, undefined, REQ_OPTS);
    assert.equal(r.isError, true);
    const bad = await stdio.client.callTool({ name: 'get_customer', arguments: { id: "1 OR 1=1" } }, undefined, REQ_OPTS);
    assert.equal(bad.isError, true);
    assert.match(bad.content[0].text, /\$\.id: expected integer, got string/);
  });

  test('create_order writes the order and its items in one transaction', async () => {
    const before = scalar('SELECT count(*) FROM orders');
    const r = await httpClient.client.callTool({
      name: 'create_order', arguments: { customer_id: 7, items: [{ product_id: 2, quantity: 3 }, { product_id: 9, quantity: 10 }] },
    }, undefined, REQ_OPTS);
    assert.equal(r.isError ?? false, false, JSON.stringify(r));
    const id = r.structuredContent.order_id;
    assert.equal(r.structuredContent.customer_id, 7);
    assert.equal(r.structuredContent.status, 'new');
    assert.equal(r.structuredContent.item_count, 2);
    assert.equal(r.structuredContent.total_cents, 3 * 9900 + 10 * 300);
    assert.equal(scalar('SELECT count(*) FROM orders'), before + 1);
    assert.equal(scalar('SELECT total_cents FROM orders WHERE id = ?', id), 32700);
    assert.equal(scalar('SELECT sum(quantity) FROM order_items WHERE order_id = ?', id), 13);
  });

  test('create_order with an unknown product or customer writes nothing', async () => {
    const orders = scalar('SELECT count(*) FROM orders');
    const items = scalar('SELECT count(*) FROM order_items');
    const r = await stdio.client.callTool({
      name: 'create_order', arguments: { customer_id: 7, items: [{ product_id: 1, quantity: 1 }, { product_id: 4242, quantity: 1 }] },
    }, undefined, REQ_OPTS);
    assert.equal(r.isError, true);
    assert.match(r.content[0].text, /unknown product/);
    const r2 = await stdio.client.callTool({
      name: 'create_order', arguments: { customer_id: 999, items: [{ product_id: 1, quantity: 1 }] },
    }, undefined, REQ_OPTS);
    assert.equal(r2.isError, true);
    assert.match(r2.content[0].text, /unknown customer/);
    const r3 = await stdio.client.callTool({ name: 'create_order', arguments: { customer_id: 7, items: [] } }, undefined, REQ_OPTS);
    assert.equal(r3.isError, true);
    assert.equal(scalar('SELECT count(*) FROM orders'), orders);
    assert.equal(scalar('SELECT count(*) FROM order_items'), items);
  });

  test('list_orders pages through every order of a customer with next_cursor', async () => {
    const expected = scalar('SELECT count(*) FROM orders');
    const seen = [];
    let cursor;
    for (let page = 0; page < 100; page++) {
      const args = cursor ? { cursor } : {};
      const r = await httpClient.client.callTool({ name: 'list_orders', arguments: args }, undefined, REQ_OPTS);
      assert.equal(r.isError ?? false, false, JSON.stringify(r));
      assert.ok(r.structuredContent.rows.length <= 20);
      seen.push(...r.structuredContent.rows.map((o) => o.id));
      cursor = r.structuredContent.next_cursor;
      if (!cursor) break;
    }
    assert.equal(seen.length, expected);
    assert.equal(new Set(seen).size, expected, 'no order twice');
    const one = await stdio.client.callTool({ name: 'list_orders', arguments: { customer_id: 8, status: 'shipped' } }, undefined, REQ_OPTS);
    assert.deepEqual(one.structuredContent.rows.map((o) => o.id).sort((a, b) => a - b),
      db().prepare("SELECT id FROM orders WHERE customer_id = 8 AND status = 'shipped' ORDER BY id").all().map((o) => o.id));
  });

  test('query_database runs a SELECT and refuses writes, leaving the data unchanged', async () => {
    const r = await stdio.client.callTool({ name: 'query_database', arguments: { query: "SELECT plan, count(*) AS n FROM customers GROUP BY plan ORDER BY plan" } }, undefined, REQ_OPTS);
    assert.equal(r.isError ?? false, false, JSON.stringify(r));
    assert.deepEqual(r.structuredContent.rows, db().prepare('SELECT plan, count(*) AS n FROM customers GROUP BY plan ORDER BY plan').all().map((x) => ({ ...x })));
    const customers = scalar('SELECT count(*) FROM customers');
    for (const query of ['DELETE FROM customers', "UPDATE customers SET name = 'x'", 'DROP TABLE orders',
      "SELECT 1; DELETE FROM customers", "ATTACH DATABASE '/tmp/x.db' AS x", 'PRAGMA journal_mode = DELETE']) {
      const w = await httpClient.client.callTool({ name: 'query_database', arguments: { query } }, undefined, REQ_OPTS);
      assert.equal(w.isError, true, `${query} must be refused: ${JSON.stringify(w)}`);
    }
    assert.equal(scalar('SELECT count(*) FROM customers'), customers);
    assert.equal(scalar("SELECT count(*) FROM customers WHERE name = 'x'"), 0);
    const big = await stdio.client.callTool({ name: 'query_database', arguments: { query: 'SELECT * FROM order_items' } }, undefined, REQ_OPTS);
    assert.equal(big.structuredContent.rows.length, 200);
    assert.equal(big.structuredContent.truncated, true);
  });

  test('resources: the docs directory and the inline text', async () => {
    const list = await sdkListAll((p, o) => httpClient.client.listResources(p, o), 'resources');
    const uris = list.map((r) => r.uri).sort();
    assert.deepEqual(uris, ['demo://about', 'demo://docs/churn-playbook.md', 'demo://docs/schema.md']);
    const r = await stdio.client.readResource({ uri: 'demo://docs/schema.md' }, REQ_OPTS);
    assert.equal(r.contents[0].text, fs.readFileSync(path.join(DEMO, 'docs/schema.md'), 'utf8'));
    assert.equal(r.contents[0].mimeType, 'text/markdown');
    await expectMcpError(stdio.client.readResource({ uri: 'demo://docs/../bulwark.yaml' }, REQ_OPTS), -32002);
  });

  test('prompt analyze_customer_churn embeds the docs and checks its typed argument', async () => {
    const p = await httpClient.client.getPrompt({ name: 'analyze_customer_churn', arguments: { customer_id: '12' } }, REQ_OPTS);
    assert.equal(p.messages.length, 3);
    assert.equal(p.messages[0].content.type, 'resource');
    assert.equal(p.messages[0].content.resource.uri, 'demo://docs/schema.md');
    assert.match(p.messages[2].content.text, /customer 12 /);
    await expectMcpError(stdio.client.getPrompt({ name: 'analyze_customer_churn', arguments: { customer_id: 'twelve' } }, REQ_OPTS), -32602);
    await expectMcpError(stdio.client.getPrompt({ name: 'analyze_customer_churn', arguments: {} }, REQ_OPTS), -32602);
  });

  test('bulwark check accepts the demo configuration', async () => {
    const r = await runCommand(bulwarkBin(), ['check', '-c', CONFIG], { env: { ...process.env, BULWARK_DEMO_DB: dbPath } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /4 tools/);
  });
});
