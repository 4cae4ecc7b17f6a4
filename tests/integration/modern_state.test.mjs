// Sealed requestState across replicas (2026-07-28 MRTR): a state one process seals is opened by any process holding
// the same key (given as hex or base64: the same 32 bytes), refused by a process with another key, and still
// accepted after a rotation (`--state-key NEW --state-key OLD`). A multi-round request may hop between replicas.
// Without --state-key each process draws its own random key, so two such processes refuse each other's states.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { killAllSpawned, everythingBin, runCommand } from '../lib/raw-stdio.mjs';
import { startHttp, finishHttp } from '../lib/http.mjs';
import { modernCall, modernPost, assertModernError } from '../lib/modern.mjs';

after(killAllSpawned);

const K_BYTES = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');
const K_HEX = K_BYTES.toString('hex');
const K_B64 = K_BYTES.toString('base64'); // 44 characters with padding: the same key as K_HEX
const K2_B64URL = Buffer.alloc(32, 0xfb).toString('base64url'); // 43 characters, '-'/'_' alphabet
const CONFIRM = 'test_input_required_result_request_state';
const ROUNDS = 'test_input_required_result_multi_round';
const OK = { confirm: { action: 'accept', content: { ok: true } } };
const INVALID = { reason: 'invalid_request_state' };
const INVALID_MSG = 'Invalid params: requestState is not valid (tampered, truncated or sealed by another server key)';

const kid = (state) => state.split('.')[1];

/** Round 1 of the confirm tool on `server`: its requestState. */
async function firstRound(server, tool = CONFIRM) {
  const r = await modernCall(server, 'tools/call', { name: tool, arguments: {} });
  assert.equal(r.resultType, 'input_required');
  assert.match(r.requestState, /^v1\.[0-9a-f]{8}\.[A-Za-z0-9_-]+$/);
  return r.requestState;
}

/** The retry on `server` with `state`: {msg, resp, reply}. */
function retry(server, state, inputResponses = OK, tool = CONFIRM) {
  return modernPost(server, 'tools/call', { name: tool, arguments: {}, inputResponses, requestState: state });
}

async function expectCompleted(server, state) {
  const { resp, reply } = await retry(server, state);
  assert.equal(resp.status, 200, resp.text);
  assert.deepEqual(reply.result, { content: [{ type: 'text', text: 'state-ok: confirmed=true' }], resultType: 'complete' });
}

async function expectRefused(server, state) {
  const x = await retry(server, state);
  const err = assertModernError(x, 200, -32602, 'a foreign requestState');
  assert.deepEqual(err, { code: -32602, message: INVALID_MSG, data: INVALID });
}

describe('requestState sealed with --state-key, across processes', () => {
  const s = {};

  before(async () => {
    const [a, b, c, d, e, f] = await Promise.all([
      startHttp({ args: ['--state-key', K_HEX] }), // A: K (hex)
      startHttp({ args: ['--state-key', K_B64] }), // B: K (base64)
      startHttp({ args: ['--state-key', K2_B64URL] }), // C: K2
      startHttp({ args: ['--state-key', K2_B64URL, '--state-key', K_HEX] }), // D: rotated, K2 current, K previous
      startHttp(), // E: a random key
      startHttp(), // F: another random key
    ]);
    Object.assign(s, { a, b, c, d, e, f });
  });

  after(async () => {
    for (const x of Object.values(s)) await finishHttp(x);
  });

  test('a state sealed by A (key K, hex) completes on B (the same K, base64)', async () => {
    const state = await firstRound(s.a);
    assert.equal(kid(await firstRound(s.b)), kid(state), 'the same key has the same key id');
    await expectCompleted(s.b, state);
  });

  test('C (another key) refuses A\'s state with -32602 invalid_request_state', async () => {
    const state = await firstRound(s.a);
    assert.notEqual(kid(await firstRound(s.c)), kid(state));
    await expectRefused(s.c, state);
  });

  test('rotation: D (K2 current, K previous) accepts A\'s state and seals new ones with K2', async () => {
    await expectCompleted(s.d, await firstRound(s.a));
    const fresh = await firstRound(s.d);
    assert.equal(kid(fresh), kid(await firstRound(s.c)), 'D seals with its current key');
    await expectCompleted(s.c, fresh);
    await expectRefused(s.a, fresh); // A never had K2
  });

  test('a multi-round request hops A → B → D and completes with the answers of every round', async () => {
    const r1 = await firstRound(s.a, ROUNDS);
    const { reply: r2 } = await retry(s.b, r1, { step1: { action: 'accept', content: { name: 'Alice' } } }, ROUNDS);
    assert.equal(r2.result.resultType, 'input_required', JSON.stringify(r2));
    assert.deepEqual(Object.keys(r2.result.inputRequests), ['step2']);
    assert.notEqual(r2.result.requestState, r1, 'round 2 has a new state');
    const { reply: r3 } = await retry(s.d, r2.result.requestState, { step2: { action: 'accept', content: { color: 'blue' } } }, ROUNDS);
    assert.deepEqual(r3.result, { content: [{ type: 'text', text: 'Alice likes blue' }], resultType: 'complete' });
  });

  test('without --state-key each process has its own random key: E and F refuse each other\'s states', async () => {
    const fromE = await firstRound(s.e);
    const fromF = await firstRound(s.f);
    assert.notEqual(kid(fromE), kid(fromF));
    await expectRefused(s.f, fromE);
    await expectRefused(s.e, fromF);
    await expectCompleted(s.e, fromE);
  });
});

describe('--state-key and --state-ttl-ms usage errors', () => {
  const LENGTH = 'bulwark-everything: --state-key: key has the wrong length: 64 hex characters or 43 base64/base64url ' +
    'characters (44 with padding) of 32 bytes are required\n';
  for (const [what, args, stderr] of [
    ['a key of 4 bytes', ['--state-key', '00112233'], LENGTH],
    ['a key of 31 bytes (base64)', ['--state-key', Buffer.alloc(31, 1).toString('base64')], LENGTH],
    ['a third key', ['--state-key', K_HEX, '--state-key', K_HEX, '--state-key', K_HEX],
      'bulwark-everything: --state-key needs a key, and at most two are accepted\n'],
    ['--state-ttl-ms 0', ['--state-ttl-ms', '0'],
      'bulwark-everything: --state-ttl-ms needs a whole number from 1 to 2147483647\n'],
  ]) {
    test(`${what} → exit 2 with one line naming the problem`, async () => {
      const r = await runCommand(everythingBin(), args);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, stderr);
    });
  }

  test('a refused key is never echoed', async () => {
    const secret = 'deadbeef'.repeat(7); // 56 hex characters: the wrong length
    const r = await runCommand(everythingBin(), ['--state-key', secret]);
    assert.equal(r.code, 2);
    assert.ok(!r.stderr.includes(secret), r.stderr);
  });
});
