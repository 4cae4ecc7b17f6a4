import { spawn } from 'node:child_process';
import { Client as V2 } from '@modelcontextprotocol/client';
import { Client as V1 } from '@modelcontextprotocol/sdk/client/index.js';
import { ElicitRequestSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
const proc = spawn('/work/main/build/bulwark-everything', [], { stdio: ['pipe', 'pipe', 'inherit'] });
const wire = [];
const ports = {};
let buf = '';
proc.stdout.on('data', (d) => { buf += d; let i; while ((i = buf.indexOf('\n')) >= 0) { const line = buf.slice(0, i); buf = buf.slice(i + 1); wire.push('< ' + line); route(JSON.parse(line)); } });
function route(m) {
  const sub = m.params?._meta?.['io.modelcontextprotocol/subscriptionId'];
  const tok = m.params?.progressToken;
  let p;
  for (const port of Object.values(ports)) {
    if (!('method' in m) && port.ids.has(m.id)) { p = port; m = { ...m, id: port.ids.get(m.id) }; break; }
    if (sub !== undefined && port.ids.has(sub)) { p = port; m = structuredClone(m); m.params._meta['io.modelcontextprotocol/subscriptionId'] = port.ids.get(sub); break; }
    if (tok !== undefined && port.ids.has(tok)) { p = port; m = structuredClone(m); m.params.progressToken = port.ids.get(tok); break; }
  }
  p ??= ports.legacy;
  p.onmessage?.(m);
}
function port(tag) {
  const ids = new Map(); const back = new Map(); let n = 0;
  const wireId = (id) => { const k = JSON.stringify(id); if (!back.has(k)) { const w = `${tag}#${n++}`; back.set(k, w); ids.set(w, id); } return back.get(k); };
  const t = { ids, async start() {}, async close() { t.onclose?.(); },
    async send(m) {
      m = structuredClone(m);
      if ('method' in m && 'id' in m) { m.id = wireId(m.id); const pt = m.params?._meta?.progressToken; if (pt !== undefined) m.params._meta.progressToken = wireId(pt); }
      if (m.method === 'notifications/cancelled') m.params.requestId = wireId(m.params.requestId);
      const line = JSON.stringify(m); wire.push('> ' + line); proc.stdin.write(line + '\n');
    } };
  ports[tag] = t; return t;
}
const v1 = new V1({ name: 'v1', version: '1' }, { capabilities: { elicitation: {} } });
v1.setRequestHandler(ElicitRequestSchema, async (r) => ({ action: 'accept', content: { name: 'Legacy' } }));
let ltc = 0; v1.setNotificationHandler(ToolListChangedNotificationSchema, () => { ltc++; });
await v1.connect(port('legacy'));
const v2 = new V2({ name: 'v2', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } }, capabilities: { elicitation: {} } });
v2.onerror = (e) => console.log('v2 err', e);
v2.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: { name: 'Modern' } }));
let mtc = 0; v2.setNotificationHandler('notifications/tools/list_changed', () => { mtc++; });
await v2.connect(port('modern'));
console.log(v2.getProtocolEra(), v1.getServerVersion()?.name);
const [a, b] = await Promise.all([v1.callTool({ name: 'test_input_required_result_elicitation', arguments: {} }), v2.callTool({ name: 'test_input_required_result_elicitation', arguments: {} })]);
console.log(JSON.stringify(a), JSON.stringify(b));
const sub = await v2.listen({ toolsListChanged: true });
await v1.callTool({ name: 'toggle_extra_tool', arguments: {} });
await new Promise(r => setTimeout(r, 300));
console.log('ltc', ltc, 'mtc', mtc);
console.log(JSON.stringify(await v2.callTool({ name: 'test_tool_with_progress', arguments: {} }, { onprogress: (p) => console.log('prog', JSON.stringify(p)) })));
await sub.close(); console.log(await sub.closed);
proc.stdin.end();
console.log(wire.join('\n').slice(0, 6000));
