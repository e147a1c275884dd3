// A bare proxy for comparison: node:http in, undici out, no parsing, routing or accounting.
// Shows what any Node.js hop costs on this machine, so Keel's own share can be told apart.
import { createServer } from 'node:http';
import { Agent, request } from 'undici';

const upstreamOrigin = process.env.BENCH_UPSTREAM_ORIGIN;
const dispatcher = new Agent({
  connections: 2_048,
  keepAliveTimeout: 30_000,
  headersTimeout: 0,
  bodyTimeout: 0,
});

const server = createServer({ keepAliveTimeout: 65_000 }, (incoming, outgoing) => {
  const parts = [];
  incoming.on('data', (part) => parts.push(part));
  incoming.on('end', () => {
    request(`${upstreamOrigin}${incoming.url}`, {
      method: 'POST',
      dispatcher,
      headers: { 'content-type': 'application/json', authorization: incoming.headers.authorization ?? '' },
      body: Buffer.concat(parts),
    })
      .then(async (response) => {
        const body = await response.body.arrayBuffer();
        outgoing.writeHead(response.statusCode, { 'content-type': 'application/json' });
        outgoing.end(Buffer.from(body));
      })
      .catch((error) => {
        outgoing.writeHead(502, { 'content-type': 'application/json' });
        outgoing.end(JSON.stringify({ error: { message: String(error) } }));
      });
  });
});

process.on('disconnect', () => process.exit(0));
server.listen(0, '127.0.0.1', () => process.send?.({ type: 'listening', port: server.address().port }));
