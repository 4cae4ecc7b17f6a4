// Server→client requests through the SDK client: sampling/createMessage, elicitation/create, roots/list,
// and the isError results a client without those capabilities gets.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateMessageRequestSchema, ElicitRequestSchema, ListRootsRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { killAllSpawned, textOf, startInitialized, isResponseTo, WAIT_MS, finish } from '../lib/raw-stdio.mjs';
import { connectSdk, REQ_OPTS, finishSdk } from '../lib/sdk.mjs';

after(killAllSpawned);

const SAMPLING_REPLY = {
  role: 'assistant',
  content: { type: 'text', text: 'This is a test response from the client' },
  model: 'test-model',
  stopReason: 'endTurn',
};
const ROOTS = [
  { uri: 'file:///tmp/bulwark-root-a', name: 'Root A' },
  { uri: 'file:///home/user/project%20b' },
];

describe('with sampling, elicitation and roots declared', () => {
  let s;
  const seen = { sampling: [], elicit: [], roots: 0 };
  let elicitAnswer = () => ({ action: 'accept', content: { username: 'testuser', email: 'test@example.com' } });

  before(async () => {
    s = await connectSdk({
      capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } },
      setup(client) {
        client.setRequestHandler(CreateMessageRequestSchema, (req) => {
          seen.sampling.push(req.params);
          return SAMPLING_REPLY;
        });
        client.setRequestHandler(ElicitRequestSchema, (req) => {
          seen.elicit.push(req.params);
          return elicitAnswer(req.params);
        });
        client.setRequestHandler(ListRootsRequestSchema, () => {
          seen.roots += 1;
          return { roots: ROOTS };
        });
      },
    });
  });
  after(async () => {
    await finishSdk(s);
  });

  const call = (name, args) => s.client.callTool({ name, arguments: args }, undefined, REQ_OPTS);

  test('test_sampling → "LLM response: <client text>"; the request carried the prompt', async () => {
    const r = await call('test_sampling', { prompt: 'Test prompt for sampling' });
    assert.notEqual(r.isError, true, textOf(r));
    assert.equal(textOf(r), 'LLM response: This is a test response from the client');
    assert.equal(seen.sampling.length, 1);
    const p = seen.sampling[0];
    assert.equal(p.messages[0].role, 'user');
    assert.deepEqual(p.messages[0].content, { type: 'text', text: 'Test prompt for sampling' });
    assert.equal(typeof p.maxTokens, 'number');
  });

  test('test_elicitation accept → "User response: action=accept…"', async () => {
    const r = await call('test_elicitation', { message: 'Please provide your information' });
    assert.notEqual(r.isError, true, textOf(r));
    assert.ok(textOf(r).startsWith('User response: action=accept'), textOf(r));
    assert.ok(textOf(r).includes('testuser'), 'the content is reported');
    const p = seen.elicit.at(-1);
    assert.equal(p.message, 'Please provide your information');
    assert.equal(p.requestedSchema.type, 'object');
    assert.equal(typeof p.requestedSchema.properties, 'object');
  });

  test('test_elicitation decline → "User response: action=decline"', async () => {
    elicitAnswer = () => ({ action: 'decline' });
    try {
      const r = await call('test_elicitation', { message: 'again' });
      assert.notEqual(r.isError, true, textOf(r));
      assert.ok(textOf(r).startsWith('User response: action=decline'), textOf(r));
    } finally {
      elicitAnswer = () => ({ action: 'accept', content: { username: 'testuser', email: 'test@example.com' } });
    }
  });

  test('test_elicitation_sep1034_defaults sends a default on each primitive type', async () => {
    elicitAnswer = () => ({
      action: 'accept', content: { name: 'Jane Smith', age: 25, score: 88, status: 'inactive', verified: false },
    });
    try {
      const r = await call('test_elicitation_sep1034_defaults', {});
      assert.ok(textOf(r).startsWith('Elicitation completed: action=accept'), textOf(r));
      const props = seen.elicit.at(-1).requestedSchema.properties;
      assert.deepEqual([props.name.type, props.name.default], ['string', 'John Doe']);
      assert.deepEqual([props.age.type, props.age.default], ['integer', 30]);
      assert.deepEqual([props.score.type, props.score.default], ['number', 95.5]);
      assert.equal(props.status.type, 'string');
      assert.deepEqual(props.status.enum, ['active', 'inactive', 'pending']);
      assert.equal(props.status.default, 'active');
      assert.deepEqual([props.verified.type, props.verified.default], ['boolean', true]);
    } finally {
      elicitAnswer = () => ({ action: 'accept', content: { username: 'testuser', email: 'test@example.com' } });
    }
  });

  test('test_elicitation_sep1330_enums sends the five enum shapes', async () => {
    elicitAnswer = () => ({
      action: 'accept',
      content: {
        untitledSingle: 'option1', titledSingle: 'value1', legacyEnum: 'opt1', untitledMulti: ['option1'],
        titledMulti: ['value1'],
      },
    });
    try {
      const r = await call('test_elicitation_sep1330_enums', {});
      assert.ok(textOf(r).startsWith('Elicitation completed: action=accept'), textOf(r));
      const p = seen.elicit.at(-1).requestedSchema.properties;
      assert.deepEqual(p.untitledSingle.enum, ['option1', 'option2', 'option3']);
      assert.ok(!('oneOf' in p.untitledSingle) && !('enumNames' in p.untitledSingle));
      assert.ok(Array.isArray(p.titledSingle.oneOf) && !('enum' in p.titledSingle));
      assert.ok(p.titledSingle.oneOf.every((o) => typeof o.const === 'string' && typeof o.title === 'string'));
      assert.deepEqual(p.legacyEnum.enum, ['opt1', 'opt2', 'opt3']);
      assert.equal(p.legacyEnum.enumNames.length, p.legacyEnum.enum.length);
      assert.equal(p.untitledMulti.type, 'array');
      assert.ok(Array.isArray(p.untitledMulti.items.enum) && !('anyOf' in p.untitledMulti.items));
      assert.equal(p.titledMulti.type, 'array');
      assert.ok(Array.isArray(p.titledMulti.items.anyOf) && !('enum' in p.titledMulti.items));
    } finally {
      elicitAnswer = () => ({ action: 'accept', content: { username: 'testuser', email: 'test@example.com' } });
    }
  });

  test('list_roots → text containing the client roots', async () => {
    const before = seen.roots;
    const r = await call('list_roots', {});
    assert.notEqual(r.isError, true, textOf(r));
    assert.equal(seen.roots, before + 1, 'the client was asked roots/list once');
    for (const root of ROOTS) assert.ok(textOf(r).includes(root.uri), `mentions ${root.uri}: ${textOf(r)}`);
  });

  test('sampling while other calls run: several concurrent round trips', async () => {
    const rs = await Promise.all([1, 2, 3].map((i) => call('test_sampling', { prompt: `p${i}` })));
    for (const r of rs) assert.equal(textOf(r), 'LLM response: This is a test response from the client');
  });
});

describe('without the capabilities', () => {
  let s;
  before(async () => {
    s = await connectSdk({ capabilities: {} });
  });
  after(async () => {
    await finishSdk(s);
  });
  const call = (name, args) => s.client.callTool({ name, arguments: args }, undefined, REQ_OPTS);

  for (const [tool, args, cap] of [
    ['test_sampling', { prompt: 'hi' }, /sampling/i],
    ['test_elicitation', { message: 'hi' }, /elicitation/i],
    ['list_roots', {}, /roots/i],
  ]) {
    test(`${tool} → isError result mentioning the missing capability`, async () => {
      const r = await call(tool, args);
      assert.equal(r.isError, true, JSON.stringify(r));
      assert.match(textOf(r), cap);
    });
  }
});

describe('server→client requests on the wire', () => {
  test('sampling: the server request has a valid id; a client error answer still ends the call', async () => {
    const c = await startInitialized(undefined, [], { sampling: {} }, {
      autoRespond: {
        'sampling/createMessage': () => {
          throw new Error('user rejected');
        },
      },
    });
    try {
      const from = c.messages.length;
      const resp = c.waitFor(isResponseTo('s1'), WAIT_MS, { from, label: 'test_sampling response' });
      await c.send({ jsonrpc: '2.0', id: 's1', method: 'tools/call', params: { name: 'test_sampling', arguments: { prompt: 'x' } } });
      const req = await c.waitFor((m) => m.method === 'sampling/createMessage', WAIT_MS, { from, label: 'sampling request' });
      assert.ok(typeof req.id === 'string' || Number.isInteger(req.id), 'server request id is a string or integer');
      const r = await resp;
      // The contract leaves the shape open; what matters is that the call ends and does not succeed.
      assert.ok(r.error || r.result?.isError === true, `the call fails cleanly: ${JSON.stringify(r)}`);
      await c.assertAlive();
      await finish(c);
    } finally {
      await c.kill();
    }
  });
});
