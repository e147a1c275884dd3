// A minimal OpenAI-compatible upstream for the benchmark, run as its own process (forked by run.js).
//
// POST /v1/chat/completions answers a fixed completion after `delayMs` (setTimeout), or, with
// "stream": true, a server-sent event stream of `streamChunks` chunks spread evenly over `streamMs`,
// then a usage chunk and [DONE]. Settings come from the environment at start and can be changed at
// run time with an IPC message { type: 'configure', settings }.
import { createServer } from 'node:http';

const settings = {
  delayMs: Number(process.env.BENCH_UPSTREAM_DELAY_MS ?? 50),
  streamMs: Number(process.env.BENCH_UPSTREAM_STREAM_MS ?? 1000),
  streamChunks: Number(process.env.BENCH_UPSTREAM_STREAM_CHUNKS ?? 20),
};

const counters = { requests: 0, streams: 0, streamsAborted: 0, badRequests: 0 };

const created = Math.floor(Date.now() / 1000);

const completionBody = Buffer.from(
  JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created,
    model: 'bench-model',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: 'Hello! This is a fixed answer from the benchmark upstream.' },
        finish_reason: 'stop',
      },
    ],
    usage: { prompt_tokens: 12, completion_tokens: 12, total_tokens: 24 },
  }),
);

const completionHeaders = {
  'content-type': 'application/json',
  'content-length': String(completionBody.length),
};

function chunkEvent(index, last) {
  const delta = index === 0 ? { role: 'assistant', content: 'tok ' } : { content: 'tok ' };
  return `data: ${JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion.chunk',
    created,
    model: 'bench-model',
    choices: [{ index: 0, delta, finish_reason: last ? 'stop' : null }],
  })}\n\n`;
}

const usageEvent = `data: ${JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion.chunk',
  created,
  model: 'bench-model',
  choices: [],
  usage: { prompt_tokens: 12, completion_tokens: 20, total_tokens: 32 },
})}\n\n`;

function answer(response) {
  response.writeHead(200, completionHeaders);
  response.end(completionBody);
}

function stream(response, includeUsage) {
  counters.streams++;
  const chunks = Math.max(1, settings.streamChunks);
  const intervalMs = settings.streamMs / chunks;
  let index = 0;
  let timer;
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const next = () => {
    if (index < chunks) {
      response.write(chunkEvent(index, index === chunks - 1));
      index++;
      timer = setTimeout(next, intervalMs);
      return;
    }
    // One interval after the last content chunk: the stream lasts `streamMs` in all.
    response.end(`${includeUsage ? usageEvent : ''}data: [DONE]\n\n`);
  };
  response.once('close', () => {
    clearTimeout(timer);
    if (!response.writableFinished) counters.streamsAborted++;
  });
  next();
}

const server = createServer({ keepAliveTimeout: 65_000 }, (request, response) => {
  if (request.method !== 'POST' || !request.url.endsWith('/chat/completions')) {
    counters.badRequests++;
    response.writeHead(404, { 'content-type': 'application/json' });
    response.end('{"error":{"message":"not found","type":"invalid_request_error"}}');
    return;
  }
  const parts = [];
  request.on('data', (part) => parts.push(part));
  request.on('end', () => {
    counters.requests++;
    let body;
    try {
      body = JSON.parse(Buffer.concat(parts).toString('utf8'));
    } catch {
      counters.badRequests++;
      response.writeHead(400, { 'content-type': 'application/json' });
      response.end('{"error":{"message":"body is not JSON","type":"invalid_request_error"}}');
      return;
    }
    if (body.stream === true) {
      stream(response, body.stream_options?.include_usage === true);
      return;
    }
    if (settings.delayMs <= 0) answer(response);
    else setTimeout(answer, settings.delayMs, response);
  });
});
// Node 20 defaults to a 300 s request timeout; streams here last seconds, so keep it but say so.
server.requestTimeout = 300_000;

process.on('message', (message) => {
  if (message?.type === 'configure') {
    Object.assign(settings, message.settings);
    process.send?.({ type: 'configured', settings });
  } else if (message?.type === 'stats') {
    process.send?.({ type: 'stats', counters: { ...counters } });
  } else if (message?.type === 'stop') {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
// If the parent dies, do not linger.
process.on('disconnect', () => process.exit(0));

server.listen(0, '127.0.0.1', () => {
  process.send?.({ type: 'listening', port: server.address().port, settings });
});
