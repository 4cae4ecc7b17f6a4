// The tasks extension (io.modelcontextprotocol/tasks, SEP-2663) on the wire, beyond what the conformance
// scenarios check: the exact CreateTaskResult and DetailedTask objects, notifications/tasks on a listen stream,
// cancelling a task parked for input, the error replies of tasks/update and tasks/cancel, a legacy client running
// a task tool as an ordinary call, and shutdown not waiting for a task's handler.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHttp, finishHttp, sleep, initSession, call, textOf } from '../lib/http.mjs';
import { killAllSpawned } from '../lib/raw-stdio.mjs';
import {
  modernCall, modernPost, modernOpen, assertModernError, TASK_CAPS, TASKS_EXT, META_SUBSCRIPTION,
} from '../lib/modern.mjs';

after(killAllSpawned);

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const opts = { caps: TASK_CAPS };

/** Polls tasks/get every 50 ms until pred(task) holds (at most 5 s); returns that task. */
async function pollUntil(server, taskId, pred, what) {
  const until = Date.now() + 5000;
  for (;;) {
    const task = await modernCall(server, 'tasks/get', { taskId }, opts);
    if (pred(task)) return task;
    if (Date.now() > until) assert.fail(`task ${taskId} never reached ${what}; last: ${JSON.stringify(task)}`);
    await sleep(50);
  }
}

/** A task's object with the parts that vary (id, timestamps) checked and replaced by placeholders. */
function stable(task, taskId) {
  assert.equal(task.taskId, taskId);
  assert.match(task.createdAt, ISO);
  assert.match(task.lastUpdatedAt, ISO);
  assert.ok(task.lastUpdatedAt >= task.createdAt, 'lastUpdatedAt is not before createdAt');
  return { ...task, taskId: 'ID', createdAt: 'T', lastUpdatedAt: 'T' };
}

describe('tasks extension over Streamable HTTP', () => {
  let server;
  before(async () => {
    server = await startHttp();
  });
  after(async () => {
    await finishHttp(server);
  });

  test('CreateTaskResult, then tasks/get while working and once completed: the exact objects', async () => {
    const created = await modernCall(server, 'tools/call', { name: 'slow_compute', arguments: { seconds: 0.3, label: 'e' } }, opts);
    const id = created.taskId;
    assert.match(id, /^[0-9a-f]{32}$/);
    assert.deepEqual(stable(created, id), {
      resultType: 'task', taskId: 'ID', status: 'working', createdAt: 'T', lastUpdatedAt: 'T', ttlMs: 3600000,
      pollIntervalMs: 500,
    });
    const working = await modernCall(server, 'tasks/get', { taskId: id }, opts);
    assert.deepEqual(stable(working, id), { ...stable(created, id), resultType: 'complete' });
    const done = await pollUntil(server, id, (t) => t.status !== 'working', 'a terminal status');
    assert.deepEqual(stable(done, id), {
      resultType: 'complete', taskId: 'ID', status: 'completed', createdAt: 'T', lastUpdatedAt: 'T', ttlMs: 3600000,
      pollIntervalMs: 500, result: { content: [{ type: 'text', text: 'slow_compute e: done after 0.3 s' }] },
    });
  });

  test('a protocol error fails the task with the JSON-RPC error and a statusMessage', async () => {
    const { taskId } = await modernCall(server, 'tools/call', { name: 'protocol_error_job', arguments: {} }, opts);
    const t = await pollUntil(server, taskId, (x) => x.status !== 'working', 'failed');
    const message = 'Internal error: tool protocol_error_job failed: protocol_error_job fails on purpose with a protocol error';
    assert.equal(t.status, 'failed');
    assert.deepEqual(t.error, { code: -32603, message });
    assert.equal(t.statusMessage, message);
    assert.ok(!('result' in t));
  });

  test('notifications/tasks reach a listen stream that asked for the task: working, then completed', async () => {
    const { taskId } = await modernCall(server, 'tools/call', { name: 'confirm_delete', arguments: { filename: 'n.txt' } }, opts);
    await pollUntil(server, taskId, (t) => t.status === 'input_required', 'input_required');
    const { msg, r } = await modernOpen(server, 'subscriptions/listen', { notifications: { taskIds: [taskId] } }, opts);
    try {
      assert.equal(r.status, 200);
      await r.sse.until((e) => e.json?.method === 'notifications/subscriptions/acknowledged', 5000, 'the acknowledgment');
      const ack = await modernCall(server, 'tasks/update',
        { taskId, inputResponses: { confirm: { action: 'accept', content: { confirm: true } } } }, opts);
      assert.deepEqual(ack, { resultType: 'complete' });
      const got = await r.sse.until((e) => e.json?.params?.status === 'completed', 5000, 'the completed notification');
      const notes = got.map((e) => e.json).filter((m) => m.method === 'notifications/tasks');
      assert.deepEqual(notes.map((n) => n.params.status), ['working', 'completed']);
      for (const n of notes) {
        assert.equal(n.params.taskId, taskId);
        assert.equal(n.params._meta[META_SUBSCRIPTION], msg.id);
      }
      assert.deepEqual(notes[1].params.result, { content: [{ type: 'text', text: 'Deleted n.txt' }] });
    } finally {
      r.destroy();
    }
  });

  test('cancelling a task parked for input cancels it at once; cancelling again is the same ack', async () => {
    const { taskId } = await modernCall(server, 'tools/call', { name: 'multi_input', arguments: {} }, opts);
    const parked = await pollUntil(server, taskId, (t) => t.status === 'input_required', 'input_required');
    assert.deepEqual(Object.keys(parked.inputRequests).sort(), ['first', 'second']);
    for (let i = 0; i < 2; i++)
      assert.deepEqual(await modernCall(server, 'tasks/cancel', { taskId }, opts), { resultType: 'complete' });
    const t = await modernCall(server, 'tasks/get', { taskId }, opts);
    assert.equal(t.status, 'cancelled');
    assert.ok(!('inputRequests' in t), 'a cancelled task has no inputRequests');
    // An answer after the cancellation is acknowledged and changes nothing.
    await modernCall(server, 'tasks/update', { taskId, inputResponses: { first: { action: 'decline' } } }, opts);
    assert.equal((await modernCall(server, 'tasks/get', { taskId }, opts)).status, 'cancelled');
  });

  test('tasks/update and tasks/cancel: -32602 for a bad or unknown taskId and bad inputResponses', async () => {
    const unknown = 'f'.repeat(32);
    assertModernError(await modernPost(server, 'tasks/update', { taskId: unknown, inputResponses: {} }, opts), 200, -32602);
    assertModernError(await modernPost(server, 'tasks/cancel', { taskId: unknown }, opts), 200, -32602);
    assertModernError(await modernPost(server, 'tasks/get', { taskId: 42 }, { ...opts, headers: { 'Mcp-Name': null } }), 200, -32602);
    const { taskId } = await modernCall(server, 'tools/call', { name: 'confirm_delete', arguments: { filename: 'x' } }, opts);
    const e = assertModernError(await modernPost(server, 'tasks/update', { taskId, inputResponses: [] }, opts), 200, -32602);
    assert.equal(e.message, 'Invalid params: inputResponses must be an object');
    await modernCall(server, 'tasks/cancel', { taskId }, opts);
  });

  test('a client without the extension: -32021 naming it, for the methods and a task-only tool', async () => {
    const plain = { caps: { elicitation: {} } }; // -32021 is an HTTP 400 in the stateless revision
    const data = { requiredCapabilities: { extensions: { [TASKS_EXT]: {} } } };
    for (const [method, params] of [['tasks/get', { taskId: 'gate-test' }], ['tasks/cancel', { taskId: 'gate-test' }],
      ['tools/call', { name: 'failing_job', arguments: {} }]]) {
      const e = assertModernError(await modernPost(server, method, params, plain), 400, -32021);
      assert.deepEqual(e.data, data, method);
    }
    // An optional task tool simply runs.
    const r = await modernCall(server, 'tools/call', { name: 'slow_compute', arguments: { seconds: 0, label: 'p' } }, plain);
    assert.deepEqual(r, { resultType: 'complete', content: [{ type: 'text', text: 'slow_compute p: done after 0 s' }] });
  });

  test('a legacy (2025-11-25) session runs a task tool as an ordinary call', async () => {
    const { session, version } = await initSession(server, '2025-11-25', { capabilities: { extensions: { [TASKS_EXT]: {} } } });
    const r = await call(server, session, 'tools/call', { name: 'slow_compute', arguments: { seconds: 0, label: 'l' } },
      { version });
    assert.equal(textOf(r), 'slow_compute l: done after 0 s');
    assert.ok(!('taskId' in r));
  });
});

test('SIGTERM does not wait for a task handler that would sleep for two minutes', async () => {
  const server = await startHttp();
  const { taskId } = await modernCall(server, 'tools/call', { name: 'slow_compute', arguments: { seconds: 120 } }, opts);
  assert.match(taskId, /^[0-9a-f]{32}$/);
  const t0 = Date.now();
  await finishHttp(server); // asserts exit status 0 within the harness's wait and no sanitizer report
  assert.ok(Date.now() - t0 < 15000, `exited after ${Date.now() - t0} ms`);
});
