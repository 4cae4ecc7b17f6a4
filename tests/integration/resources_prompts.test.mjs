// Resources (list, templates, read, not-found, subscriptions), prompts (list, get, argument errors) and
// completion.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { startInitialized, killAllSpawned, WAIT_MS, textOf, isNotification, finish } from '../lib/raw-stdio.mjs';
import { connectSdk, sdkListAll, expectMcpError, REQ_OPTS, collector, finishSdk } from '../lib/sdk.mjs';

const PNG_SIG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let s;
const updated = collector('notifications/resources/updated');
const updates = updated.items;
before(async () => {
  s = await connectSdk({
    setup(client) {
      client.setNotificationHandler(ResourceUpdatedNotificationSchema, updated.handler);
    },
  });
});
after(async () => {
  await finishSdk(s);
});

describe('resources', () => {
  test('resources/list has the fixture resources, each with uri and name', async () => {
    const list = await sdkListAll((p, o) => s.client.listResources(p, o), 'resources');
    const uris = list.map((r) => r.uri);
    for (const u of ['test://static-text', 'test://static-binary', 'test://watched-resource']) {
      assert.ok(uris.includes(u), `lists ${u}`);
    }
    assert.equal(new Set(uris).size, uris.length, 'no duplicates');
    for (const r of list) {
      assert.equal(typeof r.name, 'string', `${r.uri}: name`);
      assert.ok(r.name.length > 0);
    }
    assert.ok(!uris.some((u) => u.includes('{')), 'templates are not listed as resources');
  });

  test('resources/templates/list has test://template/{id}/data', async () => {
    const list = await sdkListAll((p, o) => s.client.listResourceTemplates(p, o), 'resourceTemplates');
    const t = list.find((x) => x.uriTemplate === 'test://template/{id}/data');
    assert.ok(t, 'template listed');
    assert.equal(typeof t.name, 'string');
    assert.equal(t.mimeType, 'application/json');
  });

  test('read test://static-text → text/plain text', async () => {
    const r = await s.client.readResource({ uri: 'test://static-text' }, REQ_OPTS);
    assert.equal(r.contents.length, 1);
    const c = r.contents[0];
    assert.equal(c.uri, 'test://static-text');
    assert.equal(c.mimeType, 'text/plain');
    assert.equal(typeof c.text, 'string');
    assert.ok(c.text.length > 0);
  });

  test('read test://static-binary → image/png blob', async () => {
    const r = await s.client.readResource({ uri: 'test://static-binary' }, REQ_OPTS);
    const c = r.contents[0];
    assert.equal(c.uri, 'test://static-binary');
    assert.equal(c.mimeType, 'image/png');
    assert.ok(!('text' in c));
    assert.ok(Buffer.from(c.blob, 'base64').subarray(0, 8).equals(PNG_SIG), 'blob is a base64 PNG');
  });

  test('read test://template/123/data → the expanded JSON', async () => {
    const r = await s.client.readResource({ uri: 'test://template/123/data' }, REQ_OPTS);
    const c = r.contents[0];
    assert.equal(c.uri, 'test://template/123/data');
    assert.equal(c.mimeType, 'application/json');
    assert.ok(c.text.includes('123'));
    assert.deepEqual(JSON.parse(c.text), { id: '123', templateTest: true, data: 'Data for ID: 123' });
  });

  test('read a template URI with another id (never listed) works', async () => {
    const r = await s.client.readResource({ uri: 'test://template/abc-9/data' }, REQ_OPTS);
    assert.deepEqual(JSON.parse(r.contents[0].text), { id: 'abc-9', templateTest: true, data: 'Data for ID: abc-9' });
  });

  for (const uri of ['test://nope', 'test://template/123/other', 'file:///etc/passwd', 'test://static-text/../x']) {
    test(`read ${uri} → -32002 with data.uri`, async () => {
      const e = await expectMcpError(s.client.readResource({ uri }, REQ_OPTS), -32002);
      assert.equal(e.data?.uri, uri);
    });
  }

  test('subscribe/unsubscribe → exactly {} (raw)', async () => {
    const c = await startInitialized();
    try {
      const a = await c.request('resources/subscribe', { uri: 'test://watched-resource' });
      assert.deepEqual(a.result, {}, JSON.stringify(a));
      const b = await c.request('resources/unsubscribe', { uri: 'test://watched-resource' });
      assert.deepEqual(b.result, {}, JSON.stringify(b));
      await finish(c);
    } finally {
      await c.kill();
    }
  });

  test('after subscribe, trigger_resource_update sends notifications/resources/updated {uri}', async () => {
    await s.client.subscribeResource({ uri: 'test://watched-resource' }, REQ_OPTS);
    const before = updates.length;
    const r = await s.client.callTool({ name: 'trigger_resource_update', arguments: { uri: 'test://watched-resource' } },
      undefined, REQ_OPTS);
    assert.equal(textOf(r), 'updated test://watched-resource');
    await updated.waitCount(before + 1);
    await s.client.ping(REQ_OPTS);
    assert.equal(updates.length, before + 1, 'exactly one update');
    assert.deepEqual(updates[before].params, { uri: 'test://watched-resource' });
  });

  test('after unsubscribe, no update arrives (raw, with a ping barrier)', async () => {
    const c = await startInitialized();
    try {
      const upd = isNotification('notifications/resources/updated');
      await c.call('resources/subscribe', { uri: 'test://watched-resource' });
      await c.call('tools/call', { name: 'trigger_resource_update', arguments: { uri: 'test://watched-resource' } });
      const n = await c.waitFor(upd, WAIT_MS, { label: 'resources/updated while subscribed' });
      assert.deepEqual(n.params, { uri: 'test://watched-resource' });

      await c.call('resources/unsubscribe', { uri: 'test://watched-resource' });
      const from = c.messages.length;
      const r = await c.call('tools/call', {
        name: 'trigger_resource_update', arguments: { uri: 'test://watched-resource' },
      });
      assert.equal(textOf(r), 'updated test://watched-resource');
      await c.assertAlive();
      await c.quiet(upd, 300, from, 'notifications/resources/updated after unsubscribe');

      // Never subscribed to static-text: no update either.
      const from2 = c.messages.length;
      await c.call('tools/call', { name: 'trigger_resource_update', arguments: { uri: 'test://static-text' } });
      await c.assertAlive();
      await c.quiet(upd, 200, from2, 'update for a URI nobody subscribed to');
      await finish(c);
    } finally {
      await c.kill();
    }
  });
});

describe('prompts', () => {
  let prompts;
  before(async () => {
    prompts = await sdkListAll((p, o) => s.client.listPrompts(p, o), 'prompts');
  });

  test('prompts/list has exactly the fixture prompts, each with a non-empty description', () => {
    assert.deepEqual(prompts.map((p) => p.name), ['test_simple_prompt', 'test_prompt_with_arguments',
      'test_prompt_with_embedded_resource', 'test_prompt_with_image', 'test_input_required_result_prompt']);
    for (const p of prompts) {
      assert.equal(typeof p.description, 'string', `${p.name}: description`);
      assert.ok(p.description.length > 0);
    }
    const withArgs = prompts.find((p) => p.name === 'test_prompt_with_arguments');
    const args = Object.fromEntries(withArgs.arguments.map((a) => [a.name, a.required]));
    assert.deepEqual(args, { arg1: true, arg2: true });
    const emb = prompts.find((p) => p.name === 'test_prompt_with_embedded_resource');
    assert.ok(emb.arguments.some((a) => a.name === 'resourceUri' && a.required === true));
  });

  test('get test_simple_prompt', async () => {
    const r = await s.client.getPrompt({ name: 'test_simple_prompt' }, REQ_OPTS);
    assert.ok(r.messages.length >= 1);
    assert.equal(r.messages[0].role, 'user');
    assert.equal(r.messages[0].content.type, 'text');
    assert.ok(r.messages[0].content.text.length > 0);
  });

  test('get test_prompt_with_arguments substitutes both values', async () => {
    const r = await s.client.getPrompt({
      name: 'test_prompt_with_arguments', arguments: { arg1: 'testValue1', arg2: 'testValue2' },
    }, REQ_OPTS);
    const all = JSON.stringify(r.messages);
    assert.ok(all.includes('testValue1'));
    assert.ok(all.includes('testValue2'));
  });

  test('get test_prompt_with_embedded_resource embeds the given URI', async () => {
    const r = await s.client.getPrompt({
      name: 'test_prompt_with_embedded_resource', arguments: { resourceUri: 'test://example-resource' },
    }, REQ_OPTS);
    const res = r.messages.find((m) => m.content.type === 'resource');
    assert.ok(res, 'a resource message');
    assert.equal(res.content.resource.uri, 'test://example-resource');
    assert.equal(typeof res.content.resource.mimeType, 'string');
    assert.ok('text' in res.content.resource || 'blob' in res.content.resource);
  });

  test('get test_prompt_with_image has a PNG image', async () => {
    const r = await s.client.getPrompt({ name: 'test_prompt_with_image' }, REQ_OPTS);
    const img = r.messages.find((m) => m.content.type === 'image');
    assert.ok(img, 'an image message');
    assert.equal(img.content.mimeType, 'image/png');
    assert.ok(Buffer.from(img.content.data, 'base64').subarray(0, 8).equals(PNG_SIG));
  });

  test('test_prompt_with_arguments without arg2 → -32602 mentioning arg2', async () => {
    await expectMcpError(s.client.getPrompt({ name: 'test_prompt_with_arguments', arguments: { arg1: 'x' } }, REQ_OPTS),
      -32602, /arg2/);
  });

  test('test_prompt_with_embedded_resource without resourceUri → -32602', async () => {
    await expectMcpError(s.client.getPrompt({ name: 'test_prompt_with_embedded_resource' }, REQ_OPTS), -32602,
      /resourceUri/);
  });

  test('unknown prompt → -32602', async () => {
    await expectMcpError(s.client.getPrompt({ name: 'no_such_prompt' }, REQ_OPTS), -32602);
  });
});

describe('completion/complete', () => {
  const complete = (ref, name, value) => s.client.complete({ ref, argument: { name, value } }, REQ_OPTS);
  const promptRef = { type: 'ref/prompt', name: 'test_prompt_with_arguments' };

  test('arg1 "te" → test, testing, tested (not value1)', async () => {
    const r = await complete(promptRef, 'arg1', 'te');
    const v = r.completion.values;
    for (const x of ['test', 'testing', 'tested']) assert.ok(v.includes(x), `includes ${x}`);
    assert.ok(!v.includes('value1'));
    assert.deepEqual([...v].sort(), ['test', 'tested', 'testing']);
  });

  test('arg2 "val" → value1, value2; empty prefix → all five', async () => {
    const r = await complete(promptRef, 'arg2', 'val');
    assert.deepEqual([...r.completion.values].sort(), ['value1', 'value2']);
    const all = await complete(promptRef, 'arg1', '');
    assert.deepEqual([...all.completion.values].sort(), ['test', 'tested', 'testing', 'value1', 'value2']);
    const none = await complete(promptRef, 'arg1', 'zzz');
    assert.deepEqual(none.completion.values, []);
  });

  test('ref/resource template id "1" → 1, 123', async () => {
    const r = await complete({ type: 'ref/resource', uri: 'test://template/{id}/data' }, 'id', '1');
    assert.deepEqual([...r.completion.values].sort(), ['1', '123']);
  });

  test('unknown prompt name → -32602', async () => {
    await expectMcpError(complete({ type: 'ref/prompt', name: 'no_such_prompt' }, 'arg1', 'te'), -32602);
  });

  // README: completion values exist only for test_prompt_with_arguments' arg1/arg2 (and the template's id).
  for (const [ref, arg] of [
    [{ type: 'ref/prompt', name: 'test_simple_prompt' }, 'arg1'],
    [{ type: 'ref/prompt', name: 'test_prompt_with_arguments' }, 'nosuch'],
    [{ type: 'ref/resource', uri: 'test://template/{id}/data' }, 'nosuch'],
  ]) {
    test(`${ref.name ?? ref.uri} argument ${arg} (no such argument) → no values (or -32602)`, async () => {
      let r;
      try {
        r = await complete(ref, arg, 'te');
      } catch (e) {
        assert.equal(e.code, -32602, e.message);
        return;
      }
      assert.deepEqual(r.completion.values, [], JSON.stringify(r));
    });
  }
});

// Registered last so it runs after the SDK session's own (graceful) after hook.
after(killAllSpawned);
