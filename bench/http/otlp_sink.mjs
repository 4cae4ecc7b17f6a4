// bench/http/otlp_sink.mjs — a minimal OTLP/HTTP collector for the observability benchmark: answers every POST with
// 200 {} after reading the body, counts requests and bytes, and prints "listening on http://127.0.0.1:PORT/v1/traces"
// on stderr when ready; on SIGTERM prints "SINK {"requests":N,"bytes":N,"spans":N}" on stdout and exits.
import http from 'node:http';

let requests = 0, bytes = 0, spans = 0;
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => { chunks.push(c); bytes += c.length; });
  req.on('end', () => {
    requests++;
    // Span count: occurrences of "spanId" that are not "parentSpanId" in the OTLP JSON body.
    const body = Buffer.concat(chunks).toString('utf8');
    spans += (body.match(/"spanId"/g) || []).length;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{}');
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stderr.write(`listening on http://127.0.0.1:${server.address().port}/v1/traces\n`);
});
process.on('SIGTERM', () => {
  process.stdout.write(`SINK ${JSON.stringify({ requests, bytes, spans })}\n`);
  process.exit(0);
});
