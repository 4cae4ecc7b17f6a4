// Tools: listing (shape, the verbatim 2020-12 schema), calls, argument validation, structured output,
// content types, and tools/list_changed.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import {
  startInitialized, killAllSpawned, WAIT_MS, textOf, rawListAll, isResponseTo, finish,
} from '../lib/raw-stdio.mjs';
import { connectSdk, sdkListAll, expectMcpError, REQ_OPTS, collector, finishSdk } from '../lib/sdk.mjs';
import { FIXTURE_TOOLS } from '../lib/fixtures.mjs';

// The conformance 0.2.0-alpha.12 fixture (shared/guides/conformance-0.2.md, json-schema-2020-12): listed verbatim,
// key order kept.
const SCHEMA_2020_12 = '{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","$defs":{"address":' +
  '{"$anchor":"addressDef","type":"object","properties":{"street":{"type":"string"},"city":{"type":"string"}}}},' +
  '"properties":{"name":{"type":"string"},"address":{"$ref":"#/$defs/address"},"contactMethod":{"type":"string",' +
  '"enum":["phone","email"]},"phone":{"type":"string"},"email":{"type":"string"}},"allOf":[{"anyOf":[{"required":' +
  '["phone"]},{"required":["email"]}]}],"if":{"properties":{"contactMethod":{"const":"phone"}},"required":' +
  '["contactMethod"]},"then":{"required":["phone"]},"else":{"required":["email"]},"additionalProperties":false}';

const PNG_SIG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let s; // SDK session
const changed = collector('notifications/tools/list_changed');
const listChanged = changed.items;

before(async () => {
  s = await connectSdk({
    setup(client) {
      client.setNotificationHandler(ToolListChangedNotificationSchema, changed.handler);
    },
  });
});

after(async () => {
  await finishSdk(s);
});

const waitListChanged = (count) => changed.waitCount(count);

const call = (name, args) => s.client.callTool({ name, arguments: args }, undefined, REQ_OPTS);

describe('tools/list', () => {
  let tools;
  before(async () => {
    tools = await sdkListAll((p, o) => s.client.listTools(p, o), 'tools');
  });

  test('lists every fixture tool exactly once, in registration order', () => {
    assert.deepEqual(tools.map((t) => t.name), FIXTURE_TOOLS);
  });

  test('every tool has a name, a non-empty description and an object inputSchema', () => {
    for (const t of tools) {
      assert.equal(typeof t.name, 'string');
      assert.ok(t.name.length > 0);
      assert.equal(typeof t.description, 'string', `${t.name}: description`);
      assert.ok(t.description.trim().length > 0, `${t.name}: non-empty description`);
      assert.equal(typeof t.inputSchema, 'object', `${t.name}: inputSchema`);
      assert.equal(t.inputSchema.type, 'object', `${t.name}: inputSchema.type`);
    }
  });

  test('add declares an outputSchema with sum:number; echo requires text', () => {
    const add = tools.find((t) => t.name === 'add');
    assert.equal(add.outputSchema?.type, 'object');
    assert.equal(add.outputSchema.properties?.sum?.type, 'number');
    const echo = tools.find((t) => t.name === 'echo');
    assert.equal(echo.inputSchema.properties?.text?.type, 'string');
    assert.deepEqual(echo.inputSchema.required, ['text']);
  });

  test('json_schema_2020_12_tool inputSchema is listed byte-for-byte (key order, $schema, $defs)', async () => {
    const c = await startInitialized();
    try {
      const { items, pages } = await rawListAll(c, 'tools/list', 'tools');
      const tool = items.find((t) => t.name === 'json_schema_2020_12_tool');
      assert.ok(tool, 'tool listed');
      assert.equal(JSON.stringify(tool.inputSchema), SCHEMA_2020_12, 'same keys, same order, same values');
      // And on the wire, unchanged bytes.
      const lines = c.messages.filter((e) => e.msg.result && pages.includes(e.msg.result)).map((e) => e.line);
      assert.ok(lines.some((l) => l.includes(`"inputSchema":${SCHEMA_2020_12}`)),
        'the raw tools/list line contains the schema verbatim');
      await finish(c);
    } finally {
      await c.kill();
    }
  });
});

describe('tools/call', () => {
  test('unknown tool → JSON-RPC error -32602', async () => {
    await expectMcpError(call('no_such_tool', {}), -32602);
  });

  test('add {a:2,b:3} → structuredContent {sum:5} plus the JSON as text', async () => {
    const r = await call('add', { a: 2, b: 3 });
    assert.notEqual(r.isError, true);
    assert.deepEqual(r.structuredContent, { sum: 5 });
    const t = textOf(r);
    assert.equal(typeof t, 'string', 'a text block');
    assert.deepEqual(JSON.parse(t), { sum: 5 });
  });

  test('add with fractional and negative numbers', async () => {
    const r = await call('add', { a: -1.5, b: 0.25 });
    assert.deepEqual(r.structuredContent, { sum: -1.25 });
  });

  test('add {a:"x",b:1} → isError result naming $.a and the expected type', async () => {
    const r = await call('add', { a: 'x', b: 1 });
    assert.equal(r.isError, true);
    const t = textOf(r);
    assert.ok(t.includes('$.a'), `names $.a: ${t}`);
    assert.match(t, /number/i, 'says a number was expected');
  });

  test('add without b → isError result naming b as required', async () => {
    const r = await call('add', { a: 1 });
    assert.equal(r.isError, true);
    const t = textOf(r);
    assert.match(t, /\bb\b/, `names b: ${t}`);
    assert.match(t, /required|missing/i);
  });

  test('add with an extra property → isError result naming it', async () => {
    const r = await call('add', { a: 1, b: 2, c: 3 });
    assert.equal(r.isError, true);
    const t = textOf(r);
    assert.match(t, /\bc\b/, `names c: ${t}`);
    assert.match(t, /additional|not allowed|unexpected|unknown/i);
  });

  test('slow_task steps out of range (0, 1001) and of the wrong type → isError naming $.steps', async () => {
    for (const steps of [0, 1001, '3', 2.5]) {
      const r = await call('slow_task', { steps, interval_ms: 0 });
      assert.equal(r.isError, true, `steps=${JSON.stringify(steps)}`);
      assert.ok(textOf(r).includes('$.steps'), `names $.steps: ${textOf(r)}`);
    }
  });

  test('slow_task with defaults and a fast interval', async () => {
    const r = await call('slow_task', { steps: 2, interval_ms: 0 });
    assert.equal(textOf(r), 'completed 2 steps');
  });

  test('bad_structured → JSON-RPC error -32603 naming $.value', async () => {
    await expectMcpError(call('bad_structured', {}), -32603, /\$\.value/);
  });

  test('test_error_handling → isError result with its text', async () => {
    const r = await call('test_error_handling', {});
    assert.equal(r.isError, true);
    assert.equal(textOf(r), 'This tool intentionally returns an error for testing');
  });

  test('echo round-trips unicode, embedded newlines, quotes and control characters', async () => {
    const text = 'héllo 世界 🚀\nsecond line\r\nthird\ttab "quoted" \\backslash\\ \u2028sep\u0001ctl end';
    const r = await call('echo', { text });
    assert.notEqual(r.isError, true);
    assert.equal(r.content.length, 1);
    assert.deepEqual(r.content[0], { type: 'text', text });
  });

  test('echo round-trips an empty string and a 200 KiB string', async () => {
    const r1 = await call('echo', { text: '' });
    assert.equal(textOf(r1), '');
    const big = 'abcdefghij'.repeat(20 * 1024);
    const r2 = await call('echo', { text: big });
    assert.equal(textOf(r2), big);
  });

  test('echo without text → isError naming text', async () => {
    const r = await call('echo', {});
    assert.equal(r.isError, true);
    assert.match(textOf(r), /text/);
    assert.match(textOf(r), /required|missing/i);
  });

  test('test_simple_text', async () => {
    const r = await call('test_simple_text', {});
    assert.deepEqual(r.content, [{ type: 'text', text: 'This is a simple text response for testing.' }]);
  });

  test('test_image_content → a PNG image block', async () => {
    const r = await call('test_image_content', {});
    const img = r.content.find((c) => c.type === 'image');
    assert.ok(img, 'image block');
    assert.equal(img.mimeType, 'image/png');
    const bytes = Buffer.from(img.data, 'base64');
    assert.ok(bytes.subarray(0, 8).equals(PNG_SIG), 'base64 of a PNG');
  });

  test('test_audio_content → a WAV audio block', async () => {
    const r = await call('test_audio_content', {});
    const a = r.content.find((c) => c.type === 'audio');
    assert.ok(a, 'audio block');
    assert.equal(a.mimeType, 'audio/wav');
    const bytes = Buffer.from(a.data, 'base64');
    assert.equal(bytes.subarray(0, 4).toString('latin1'), 'RIFF');
    assert.equal(bytes.subarray(8, 12).toString('latin1'), 'WAVE');
  });

  test('test_embedded_resource → a text/plain resource block', async () => {
    const r = await call('test_embedded_resource', {});
    const res = r.content.find((c) => c.type === 'resource');
    assert.ok(res, 'resource block');
    assert.deepEqual(res.resource, {
      uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.',
    });
  });

  test('test_multiple_content_types → text, image and a JSON resource', async () => {
    const r = await call('test_multiple_content_types', {});
    const types = r.content.map((c) => c.type);
    assert.deepEqual(types, ['text', 'image', 'resource']);
    assert.equal(r.content[0].text, 'Multiple content types test:');
    assert.equal(r.content[1].mimeType, 'image/png');
    assert.equal(r.content[2].resource.uri, 'test://mixed-content-resource');
    assert.equal(r.content[2].resource.mimeType, 'application/json');
  });

  test('json_schema_2020_12_tool returns its arguments; $ref, additionalProperties, enum, anyOf and if/then/else are enforced', async () => {
    const args = { name: 'Ann', address: { street: '1 Main St', city: 'Springfield' }, contactMethod: 'email', email: 'ann@example.com' };
    const r = await call('json_schema_2020_12_tool', args);
    assert.notEqual(r.isError, true, textOf(r));
    assert.deepEqual(JSON.parse(textOf(r)), args);
    const byPhone = { name: 'Ann', contactMethod: 'phone', phone: '555' };
    assert.deepEqual(JSON.parse(textOf(await call('json_schema_2020_12_tool', byPhone))), byPhone);

    const invalid = async (a, why) => {
      const bad = await call('json_schema_2020_12_tool', a);
      assert.equal(bad.isError, true, why);
      return textOf(bad);
    };
    const prefix = 'Invalid arguments for tool json_schema_2020_12_tool: ';
    assert.ok((await invalid({ name: 'Ann', address: { street: 7 }, email: 'a@b' }, 'address.street must be a string (via $ref)'))
      .includes('$.address.street'));
    assert.match(await invalid({ name: 'Ann', email: 'a@b', age: 3 }, 'additionalProperties:false'), /\bage\b/);
    assert.equal(await invalid({ name: 'Ann' }, 'allOf/anyOf: phone or email'), `${prefix}$: does not match any schema in anyOf`);
    assert.equal(await invalid({ name: 'Ann', contactMethod: 'phone', email: 'a@b' }, 'if contactMethod=phone then phone'),
      `${prefix}$: missing required property "phone"`);
    assert.equal(await invalid({ name: 'Ann', phone: '555' }, 'else: email'), `${prefix}$: missing required property "email"`);
    assert.equal(await invalid({ name: 'Ann', contactMethod: 'fax', email: 'a@b' }, 'enum'),
      `${prefix}$.contactMethod: "fax" is not one of the enum values "phone", "email"`);
  });

  test('test_reconnection returns text', async () => {
    const r = await call('test_reconnection', {});
    assert.notEqual(r.isError, true);
    assert.ok(textOf(r).length > 0);
  });
});

describe('tools/list_changed', () => {
  const names = async () => (await sdkListAll((p, o) => s.client.listTools(p, o), 'tools')).map((t) => t.name);

  test('toggle_extra_tool adds extra_tool and notifies', async () => {
    assert.ok(!(await names()).includes('extra_tool'), 'extra_tool absent at start');
    const before = listChanged.length;
    const r = await call('toggle_extra_tool', {});
    assert.equal(textOf(r), 'added');
    await waitListChanged(before + 1);
    assert.ok((await names()).includes('extra_tool'), 'extra_tool now listed');
  });

  test('extra_tool is callable while present (a result, not a protocol error)', async () => {
    const r = await call('extra_tool', {});
    assert.ok(Array.isArray(r.content));
  });

  test('toggle_extra_tool again removes extra_tool and notifies', async () => {
    const before = listChanged.length;
    const r = await call('toggle_extra_tool', {});
    assert.equal(textOf(r), 'removed');
    await waitListChanged(before + 1);
    assert.ok(!(await names()).includes('extra_tool'), 'extra_tool gone');
    await expectMcpError(call('extra_tool', {}), -32602);
  });

  test('the list_changed notification carries no id (raw check)', async () => {
    const c = await startInitialized();
    try {
      const r = await c.call('tools/call', { name: 'toggle_extra_tool', arguments: {} });
      assert.equal(textOf(r), 'added');
      const n = await c.waitFor((m) => m.method === 'notifications/tools/list_changed', WAIT_MS,
        { label: 'notifications/tools/list_changed' });
      assert.ok(!('id' in n));
      await c.call('tools/call', { name: 'toggle_extra_tool', arguments: {} });
      await c.assertAlive();
      await finish(c);
    } finally {
      await c.kill();
    }
  });
});

describe('tools/call edge cases on the wire', () => {
  test('tools/call without name → -32602; arguments omitted for a no-arg tool works', async () => {
    const c = await startInitialized();
    try {
      const r = await c.request('tools/call', { arguments: {} });
      assert.equal(r.error?.code, -32602, JSON.stringify(r));
      const ok = await c.request('tools/call', { name: 'test_simple_text' });
      assert.ok(ok.result, JSON.stringify(ok));
      assert.equal(textOf(ok.result), 'This is a simple text response for testing.');
      const id = 99;
      const slow = await c.request('tools/call', { name: 'slow_task', arguments: { steps: 1, interval_ms: 0 } }, { id });
      assert.ok(isResponseTo(id)(slow));
      await c.assertAlive();
      await finish(c);
    } finally {
      await c.kill();
    }
  });

  test('slow_task without arguments uses the defaults (10 steps)', async () => {
    const c = await startInitialized();
    try {
      const r = await c.call('tools/call', { name: 'slow_task', arguments: { interval_ms: 0 } });
      assert.equal(textOf(r), 'completed 10 steps');
      await finish(c);
    } finally {
      await c.kill();
    }
  });

  // JSON Schema 2020-12: "integer" is any number with a zero fractional part, so 2.0 and 1e1 validate — and the
  // tool must then see 2 and 10, not 0.
  for (const [lit, n] of [['2.0', 2], ['1e1', 10], ['3E0', 3]]) {
    test(`slow_task {steps: ${lit}} (an integer written as a JSON real) runs ${n} steps`, async () => {
      const c = await startInitialized();
      try {
        const got = await c.exchange(`{"jsonrpc":"2.0","id":"r","method":"tools/call","params":{"name":"slow_task",` +
          `"arguments":{"steps":${lit},"interval_ms":0.0}}}\n`, 1);
        assert.equal(got.length, 1, JSON.stringify(got));
        assert.ok(got[0].result, JSON.stringify(got[0]));
        assert.equal(textOf(got[0].result), `completed ${n} steps`, JSON.stringify(got[0].result));
      } finally {
        await c.kill();
      }
    });
  }
});

// Registered last so it runs after the SDK session's own (graceful) after hook.
after(killAllSpawned);
