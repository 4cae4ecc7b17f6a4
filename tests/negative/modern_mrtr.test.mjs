// Hostile and malformed MRTR retries (2026-07-28): tampered, truncated, extended, replayed-elsewhere and expired
// requestState; requestState and inputResponses of the wrong JSON type; answers of the wrong shape. Every refusal
// is asserted exactly (HTTP status, code, message, data.reason, error.id echoing the request id), and the server
// must keep serving afterwards: a clean retry with the genuine state still completes.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { killAllSpawned } from '../lib/raw-stdio.mjs';
import { startHttp, finishHttp, sleep } from '../lib/http.mjs';
import { modernCall, modernPost, assertModernError } from '../lib/modern.mjs';

after(killAllSpawned);

const CONFIRM = 'test_input_required_result_request_state';
const NAME_TOOL = 'test_input_required_result_elicitation';
const OK = { confirm: { action: 'accept', content: { ok: true } } };
const DONE = { content: [{ type: 'text', text: 'state-ok: confirmed=true' }], resultType: 'complete' };
const INVALID = {
  code: -32602, message: 'Invalid params: requestState is not valid (tampered, truncated or sealed by another server key)',
  data: { reason: 'invalid_request_state' },
};
const FOREIGN = {
  code: -32602, message: 'Invalid params: requestState belongs to a different request (method, target or arguments differ)',
  data: { reason: 'invalid_request_state' },
};
const NOT_STRING = { code: -32602, message: 'Invalid params: requestState must be a string', data: { reason: 'invalid_request_state' } };
const NOT_OBJECT = { code: -32602, message: 'Invalid params: inputResponses must be an object' };

/** Replace the character at i with another base64url character. */
const flip = (s, i) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);

async function roundOne(server, name = CONFIRM, args = {}) {
  const r = await modernCall(server, 'tools/call', { name, arguments: args });
  assert.equal(r.resultType, 'input_required');
  return r.requestState;
}

async function refused(server, params, expected, what) {
  const x = await modernPost(server, 'tools/call', params);
  assert.deepEqual(assertModernError(x, 200, expected.code, what), expected, what);
}

describe('tampered requestState', () => {
  let server;
  let state;

  before(async () => {
    server = await startHttp();
    state = await roundOne(server);
  });

  after(() => finishHttp(server));

  const cases = () => [
    ['one byte appended', `${state}A`],
    ['"=" padding appended', `${state}=`],
    ['four characters appended', `${state}AAAA`],
    ['the last character changed', flip(state, state.length - 1)],
    ['the second-to-last character changed', flip(state, state.length - 2)],
    ['a payload character changed', flip(state, 40)],
    ['the version prefix changed', `v2${state.slice(2)}`],
    ['the key id changed', flip(state, 3)],
    ['truncated by one character', state.slice(0, -1)],
    ['truncated to half', state.slice(0, state.length >> 1)],
    ['only the prefix', state.split('.').slice(0, 2).join('.')],
    ['empty', ''],
    ['64 KiB of base64url', `v1.${'A'.repeat(65536)}`],
  ];

  test('every variant → HTTP 200, -32602 invalid_request_state, id echoed', async () => {
    for (const [what, bad] of cases()) {
      await refused(server, { name: CONFIRM, arguments: {}, inputResponses: OK, requestState: bad }, INVALID, what);
    }
  });

  test('replayed on another tool, with other arguments, or on prompts/get → "belongs to a different request"', async () => {
    await refused(server, { name: 'test_input_required_result_tampered_state', arguments: {}, inputResponses: OK, requestState: state },
      FOREIGN, 'another tool');
    await refused(server, { name: CONFIRM, arguments: { extra: 1 }, inputResponses: OK, requestState: state }, FOREIGN, 'other arguments');
    const x = await modernPost(server, 'prompts/get', {
      name: 'test_input_required_result_prompt', inputResponses: { user_context: { action: 'accept', content: { context: 'c' } } },
      requestState: state,
    });
    assert.deepEqual(assertModernError(x, 200, -32602, 'prompts/get'), FOREIGN);
  });

  test('requestState of the wrong JSON type → -32602 "must be a string"; null counts as absent', async () => {
    for (const bad of [5, true, {}, ['x']]) {
      await refused(server, { name: CONFIRM, arguments: {}, inputResponses: OK, requestState: bad }, NOT_STRING, JSON.stringify(bad));
    }
    // null is "no state": the answers alone complete the call, as a first call carrying answers does.
    assert.deepEqual(await modernCall(server, 'tools/call', { name: CONFIRM, arguments: {}, inputResponses: OK, requestState: null }), DONE);
  });

  test('the genuine state still completes afterwards (refusals changed nothing)', async () => {
    assert.deepEqual(await modernCall(server, 'tools/call', { name: CONFIRM, arguments: {}, inputResponses: OK, requestState: state }), DONE);
  });
});

describe('malformed inputResponses', () => {
  let server;

  before(async () => {
    server = await startHttp();
  });

  after(() => finishHttp(server));

  test('inputResponses not an object (7, "x", [], true) → -32602 "must be an object"', async () => {
    const state = await roundOne(server);
    for (const bad of [7, 'x', [], true]) {
      await refused(server, { name: CONFIRM, arguments: {}, inputResponses: bad, requestState: state }, NOT_OBJECT, JSON.stringify(bad));
    }
  });

  test('an answer of the wrong shape (12345) → -32602 naming the key', async () => {
    await refused(server, { name: NAME_TOOL, arguments: {}, inputResponses: { user_name: 12345 } }, {
      code: -32602, message: 'Invalid params: inputResponses["user_name"] is not a valid elicitation/create result',
    }, 'user_name: 12345');
  });

  test('inputResponses: null, or an answer of null → a new input_required asking again (never a complete result)', async () => {
    for (const responses of [null, { user_name: null }, { wrong_key: { action: 'accept', content: { name: 'x' } } }]) {
      const r = await modernCall(server, 'tools/call', { name: NAME_TOOL, arguments: {}, inputResponses: responses });
      assert.equal(r.resultType, 'input_required', JSON.stringify(responses));
      assert.deepEqual(Object.keys(r.inputRequests), ['user_name']);
    }
  });

  test('a declined elicitation is an answer: the tool completes with its decline text', async () => {
    const state = await roundOne(server);
    const r = await modernCall(server, 'tools/call', { name: CONFIRM, arguments: {}, inputResponses: { confirm: { action: 'decline' } }, requestState: state });
    assert.deepEqual(r, { content: [{ type: 'text', text: 'The user declined' }], resultType: 'complete' });
  });

  test('inputResponses on a method that never asks (tools/list) are ignored', async () => {
    const r = await modernCall(server, 'tools/list', { inputResponses: { a: 1 } });
    assert.equal(r.resultType, 'complete');
    assert.ok(Array.isArray(r.tools));
  });
});

describe('expired requestState (--state-ttl-ms 1)', () => {
  let server;

  before(async () => {
    server = await startHttp({ args: ['--state-ttl-ms', '1'] });
  });

  after(() => finishHttp(server));

  test('→ -32602 expired_request_state telling the client to start over; starting over works', async () => {
    const state = await roundOne(server);
    await sleep(20);
    await refused(server, { name: CONFIRM, arguments: {}, inputResponses: OK, requestState: state }, {
      code: -32602, message: 'Invalid params: requestState has expired; send the request again without it',
      data: { reason: 'expired_request_state' },
    }, 'expired');
    assert.equal((await modernCall(server, 'tools/call', { name: CONFIRM, arguments: {} })).resultType, 'input_required');
  });

  test('a tampered state is "invalid", not "expired", even when it is old', async () => {
    const state = await roundOne(server);
    await sleep(20);
    await refused(server, { name: CONFIRM, arguments: {}, inputResponses: OK, requestState: flip(state, 40) }, INVALID, 'old and tampered');
  });
});
