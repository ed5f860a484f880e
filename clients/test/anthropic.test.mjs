// The official Anthropic TypeScript SDK against qwenproxy's Messages API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { betaTool } from '@anthropic-ai/sdk/helpers/beta/json-schema';
import { startProxy } from '../proxy.mjs';

let proxy;
let client;
before(async () => {
  proxy = await startProxy();
  // The Anthropic SDK appends /v1/messages itself.
  client = new Anthropic({ baseURL: proxy.baseURL.replace(/\/v1$/, ''), apiKey: 'not-checked', maxRetries: 0 });
});
after(() => proxy.stop());

const weather = {
  name: 'get_weather',
  description: 'Current weather in a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

test('answers without streaming', async () => {
  const msg = await client.messages.create({
    model: 'claude-sonnet-5-5',
    max_tokens: 1024,
    system: [{ type: 'text', text: 'Be brief.' }],
    messages: [{ role: 'user', content: 'hello anthropic' }],
  });
  assert.equal(msg.type, 'message');
  assert.equal(msg.role, 'assistant');
  assert.equal(msg.model, 'claude-sonnet-5-5');
  assert.equal(msg.stop_reason, 'end_turn');
  assert.match(msg.content[0].text, /^You said: "hello anthropic"\./);
  assert.ok(msg.usage.output_tokens > 0);
});

test('streams text and thinking as content blocks', async () => {
  const stream = client.messages.stream({
    model: 'claude-opus-5-5',
    max_tokens: 4096,
    thinking: { type: 'enabled', budget_tokens: 2048 },
    messages: [{ role: 'user', content: 'stream to anthropic' }],
  });
  const events = [];
  let text = '';
  stream.on('streamEvent', (ev) => events.push(ev.type));
  stream.on('text', (delta) => (text += delta));
  const final = await stream.finalMessage();
  assert.deepEqual(final.content.map((b) => b.type), ['thinking', 'text']);
  assert.ok(final.content[0].thinking.length > 0);
  assert.equal(final.content[1].text, text);
  assert.match(text, /^You said: "stream to anthropic"\./);
  assert.equal(final.stop_reason, 'end_turn');
  assert.ok(final.usage.output_tokens > 0);
  assert.equal(events[0], 'message_start');
  assert.equal(events.at(-1), 'message_stop');
  assert.ok(events.filter((t) => t === 'content_block_delta').length > 5, `events: ${events}`);
});

test('calls a tool and continues with its result', async () => {
  const messages = [{ role: 'user', content: 'use get_weather with {"city": "Paris"}' }];
  const { data: first, response: firstResponse } = await client.messages
    .create({ model: 'claude-sonnet-5-5', max_tokens: 1024, messages, tools: [weather] })
    .withResponse();
  assert.equal(first.stop_reason, 'tool_use');
  const call = first.content.find((b) => b.type === 'tool_use');
  assert.equal(call.name, 'get_weather');
  assert.deepEqual(call.input, { city: 'Paris' });
  assert.match(call.id, /^toolu_/); // Anthropic's form of id

  messages.push(
    { role: 'assistant', content: first.content },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: 'Rainy, 12°C' }] },
  );
  const { data: second, response: secondResponse } = await client.messages
    .create({ model: 'claude-sonnet-5-5', max_tokens: 1024, messages, tools: [weather] })
    .withResponse();
  assert.equal(second.stop_reason, 'end_turn');
  assert.equal(second.content[0].text, 'Thanks: get_weather said "Rainy, 12°C".');
  // The resent conversation, its toolu_ ids included, is the same session.
  assert.equal(secondResponse.headers.get('x-session-id'), firstResponse.headers.get('x-session-id'));
});

test('streams a tool call, and an error result goes back', async () => {
  const messages = [{ role: 'user', content: 'use get_weather with {"city": "Lima"}' }];
  const stream = client.messages.stream({ model: 'claude-sonnet-5-5', max_tokens: 1024, messages, tools: [weather] });
  const first = await stream.finalMessage();
  assert.equal(first.stop_reason, 'tool_use');
  const call = first.content.find((b) => b.type === 'tool_use');
  assert.deepEqual(call.input, { city: 'Lima' });
  assert.match(call.id, /^toolu_/);

  messages.push(
    { role: 'assistant', content: first.content },
    {
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: call.id, is_error: true, content: [{ type: 'text', text: 'no network' }] }],
    },
  );
  const second = await client.messages.stream({ model: 'claude-sonnet-5-5', max_tokens: 1024, messages, tools: [weather] }).finalMessage();
  assert.equal(second.content[0].text, 'Thanks: get_weather said "no network".');
});

test('counts tokens without calling Qwen', async () => {
  const small = await client.messages.countTokens({ model: 'claude-sonnet-5-5', messages: [{ role: 'user', content: 'hi' }] });
  const big = await client.messages.countTokens({
    model: 'claude-sonnet-5-5',
    system: 'x'.repeat(4000),
    messages: [{ role: 'user', content: 'hi' }],
    tools: [weather],
  });
  assert.ok(small.input_tokens > 0);
  assert.ok(big.input_tokens > small.input_tokens + 900, `${small.input_tokens} → ${big.input_tokens}`);
});

test('the beta client works too (?beta=true)', async () => {
  const msg = await client.beta.messages.create({
    model: 'claude-sonnet-5-5',
    max_tokens: 100,
    messages: [{ role: 'user', content: 'hello beta' }],
    betas: ['interleaved-thinking-2025-05-14'],
  });
  assert.match(msg.content[0].text, /^You said: "hello beta"\./);
});

test('errors arrive as the SDK error classes', async () => {
  await assert.rejects(
    client.messages.create({ model: 'llama-3', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }),
    (err) => err instanceof Anthropic.NotFoundError && err.error.error.type === 'not_found_error' && /MODEL_MAP/.test(err.message),
  );
  await assert.rejects(
    client.messages.create({ model: 'claude-sonnet-5-5', messages: [{ role: 'user', content: 'x' }] }),
    (err) => err instanceof Anthropic.BadRequestError && err.error.error.type === 'invalid_request_error' && /max_tokens/.test(err.message),
  );
});

test('lists and retrieves models in the shape of Anthropic\'s Models API', async () => {
  const models = [];
  for await (const m of client.models.list()) models.push(m);
  assert.ok(models.length > 1);
  for (const m of models) {
    assert.equal(m.type, 'model');
    assert.ok(m.display_name, `no display_name: ${JSON.stringify(m)}`);
    assert.ok(!Number.isNaN(Date.parse(m.created_at)), `created_at ${m.created_at}`);
  }
  const page = await client.models.list();
  assert.equal(page.has_more, false);
  assert.equal(page.first_id, models[0].id);
  assert.equal(page.last_id, models.at(-1).id);
  const mapped = await client.models.retrieve('claude-sonnet-5-5');
  assert.equal(mapped.id, 'claude-sonnet-5-5');
  assert.equal(mapped.type, 'model');
  assert.ok(!Number.isNaN(Date.parse(mapped.created_at)));
});

test('every field the SDK types as present is there; the APIs not served say so', async () => {
  // Message, its usage, and the stream helper's message (which copies
  // message_delta's stop_details): null where they do not apply, never
  // undefined.
  const params = { model: 'claude-sonnet-5-5', max_tokens: 100, messages: [{ role: 'user', content: 'fields' }] };
  for (const msg of [await client.messages.create(params), await client.messages.stream(params).finalMessage()]) {
    for (const field of ['container', 'stop_details', 'diagnostics']) assert.strictEqual(msg[field], null, field);
    for (const field of ['server_tool_use', 'inference_geo']) assert.strictEqual(msg.usage[field], null, `usage.${field}`);
    assert.equal(msg.usage.service_tier, 'standard');
    assert.deepEqual(msg.usage.cache_creation, { ephemeral_1h_input_tokens: 0, ephemeral_5m_input_tokens: 0 });
    assert.strictEqual(msg.content[0].citations, null, 'a text block\'s citations');
  }
  const call = { ...params, tools: [weather], messages: [{ role: 'user', content: 'use get_weather with {"city": "Oslo"}' }] };
  for (const msg of [await client.messages.create(call), await client.messages.stream(call).finalMessage()]) {
    const use = msg.content.find((b) => b.type === 'tool_use');
    assert.deepEqual(use?.caller, { type: 'direct' }, JSON.stringify(msg.content));
  }
  const model = await client.models.retrieve('qwen3-max');
  assert.equal(model.lifecycle, 'active');
  assert.ok(model.max_input_tokens > 0 && model.max_tokens > 0, JSON.stringify(model));
  for (const field of ['capabilities', 'line', 'deprecated_at', 'retires_at']) assert.strictEqual(model[field], null, field);
  // Message Batches and Files: a 404 that says so, not a bare "no route".
  await assert.rejects(
    client.messages.batches.create({ requests: [{ custom_id: 'a', params }] }),
    (err) => err instanceof Anthropic.NotFoundError && /no Message Batches API here/.test(err.message) && err.error.request_id === err.requestID,
  );
  await assert.rejects(
    client.beta.files.list(),
    (err) => err instanceof Anthropic.NotFoundError && /base64 source/.test(err.message),
  );
});

test('structured outputs: output_config.format is met, streamed or not', async () => {
  const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
  const params = {
    model: 'claude-sonnet-5-5',
    max_tokens: 1024,
    output_config: { format: { type: 'json_schema', schema } },
    messages: [{ role: 'user', content: 'reply {"city":"Oslo"}' }],
  };
  const msg = await client.messages.parse(params);
  assert.deepEqual(msg.parsed_output, { city: 'Oslo' });
  assert.equal(msg.content[0].text, '{"city":"Oslo"}');
  const final = await client.messages.stream(params).finalMessage();
  assert.deepEqual(JSON.parse(final.content[0].text), { city: 'Oslo' });
  await assert.rejects(
    client.messages.create({ ...params, output_config: { format: { type: 'json_schema', schema: 'nope' } } }),
    (err) => err instanceof Anthropic.BadRequestError && /output_config\.format\.schema/.test(err.message),
  );
});

// The SDK's tool runner runs over a message thread (beta): after the first
// turn it sends only the tool results, without system and tools (thread
// continue), which the proxy answered as a conversation of its own — the
// result alone in a new Qwen chat, told no tools, so a plan of several
// calls stopped after the first. The proxy keeps no threads: a continue is
// Anthropic's thread_not_found, on which the runner sends the whole
// conversation.
test('the tool runner (message threads) runs a plan of several calls to its end', async () => {
  const ran = [];
  const tool = (name, property) =>
    betaTool({
      name,
      description: name,
      inputSchema: { type: 'object', properties: { [property]: { type: 'string' } }, required: [property] },
      run: async (input) => {
        ran.push(`${name}(${input[property]})`);
        return `${name} of ${input[property]}`;
      },
    });
  const runner = client.beta.messages.toolRunner({
    model: 'claude-sonnet-5-5',
    max_tokens: 1024,
    tools: [tool('read', 'path'), tool('get_weather', 'city')],
    messages: [{ role: 'user', content: 'use read with {"path": "a"}, then use get_weather with {"city": "Oslo"}, then use read with {"path": "b"}' }],
  });
  const texts = [];
  for await (const message of runner) texts.push(message.content.find((b) => b.type === 'text')?.text);
  assert.deepEqual(ran, ['read(a)', 'get_weather(Oslo)', 'read(b)']);
  assert.equal(texts.at(-1), 'Thanks: read said "read of b".');

  // The thread helper itself: each turn is told the conversation so far.
  const thread = client.beta.messages.thread({ model: 'claude-sonnet-5-5', max_tokens: 1024 });
  await thread.send({ role: 'user', content: 'first thing' });
  const second = await thread.send({ role: 'user', content: 'second thing' });
  assert.equal(second.content[0].text, 'You said: "second thing". Earlier you said: "first thing". Earlier answers of mine: 1.');
});

// The tool runner's newer betas: addTools() and removeTools() send the change
// as tool_addition and tool_removal blocks in a role "system" message (it was
// a 400), and the model is offered the changed tools from there; and
// compactBeforeNextTurn() gets Qwen's summary as the compaction block (it got
// an ordinary answer, which the SDK threw away, warning "Compaction produced
// no summary"), after which the runner goes on from the summary alone.
test('the tool runner adds and removes tools, and compacts with Qwen\'s summary', async () => {
  const warnings = [];
  const logger = { error() {}, warn: (msg) => warnings.push(String(msg)), info() {}, debug() {} };
  const watched = new Anthropic({ baseURL: client.baseURL, apiKey: 'not-checked', maxRetries: 0, logger, logLevel: 'warn' });
  const ran = [];
  const tool = (name) =>
    betaTool({
      name,
      description: name,
      inputSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
      run: async (input) => {
        ran.push(`${name}(${input.path})`);
        return `${name} of ${input.path}`;
      },
    });
  const runner = watched.beta.messages.toolRunner({
    model: 'claude-sonnet-5-5',
    max_tokens: 1024,
    tools: [tool('read')],
    messages: [{ role: 'user', content: 'use read with {"path": "a"}, then use write with {"path": "b"}' }],
  });
  const seen = [];
  for await (const message of runner) {
    seen.push(message.content.map((b) => b.type).join(','));
    if (seen.length === 1) runner.addTools(tool('write'));
    if (ran.includes('write(b)') && !seen.includes('compaction')) {
      runner.removeTools('write');
      runner.compactBeforeNextTurn();
    }
  }
  assert.deepEqual(ran, ['read(a)', 'write(b)']);
  assert.ok(seen.includes('compaction'), `messages: ${seen}`);
  assert.deepEqual(warnings, []);
  const history = runner.params.messages;
  assert.equal(history[0].content[0].type, 'compaction', JSON.stringify(history));
  assert.ok(history[0].content[0].content.length > 0);
  // write's addition is among the messages the block replaces, so it reports
  // it (the removal, made after the last turn, waits for the next request).
  const changes = history[0].content[0].tool_changes.map((c) => `${c.type}:${c.tool.name ?? c.tool.definition.name}`);
  assert.deepEqual(changes, ['tool_addition:write']);
});

// Streamed, the summary arrives as Anthropic streams one (a compaction block
// opened empty, one compaction_delta), and the runner, which compacted between
// a tool result and the model's next step, goes on from the summary alone.
test('a streaming tool runner compacts mid-task and goes on from the summary', async () => {
  const warnings = [];
  const logger = { error() {}, warn: (msg) => warnings.push(String(msg)), info() {}, debug() {} };
  const watched = new Anthropic({ baseURL: client.baseURL, apiKey: 'not-checked', maxRetries: 0, logger, logLevel: 'warn' });
  const read = betaTool({
    name: 'read',
    description: 'read',
    inputSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
    run: async (input) => `read of ${input.path}`,
  });
  const runner = watched.beta.messages.toolRunner({
    model: 'claude-sonnet-5-5',
    max_tokens: 1024,
    stream: true,
    tools: [read],
    messages: [{ role: 'user', content: 'use read with {"path": "a"}' }],
  });
  const finals = [];
  for await (const stream of runner) {
    finals.push(await stream.finalMessage());
    if (finals.length === 1) runner.compactBeforeNextTurn();
  }
  assert.deepEqual(finals.map((m) => m.stop_reason), ['tool_use', 'compaction', 'end_turn']);
  assert.equal(finals[1].content.length, 1);
  assert.equal(finals[1].content[0].type, 'compaction');
  assert.ok(finals[1].content[0].content.length > 0);
  // The history is the summary and the answer after it.
  assert.deepEqual(runner.params.messages.map((m) => m.content[0].type), ['compaction', 'text'], JSON.stringify(runner.params.messages));
  assert.deepEqual(warnings, []);
});

// With the web search server tool declared, a searched answer shows the search
// as Anthropic's does: a server_tool_use block (its query as input, which the
// SDK builds from the input_json_delta) and its web_search_tool_result before
// the text, and usage.server_tool_use counts it; resent, the blocks go on in
// the same chat.
test('a search is a server_tool_use block and its web_search_tool_result', async () => {
  const tools = [{ type: 'web_search_20250305', name: 'web_search', max_uses: 8 }];
  const msg = await client.messages.stream({ model: 'qwen3-max', max_tokens: 100, tools, messages: [{ role: 'user', content: 'news of Oslo' }] }).finalMessage();
  assert.deepEqual(msg.content.map((b) => b.type), ['server_tool_use', 'web_search_tool_result', 'text']);
  const [call, result] = msg.content;
  assert.equal(call.name, 'web_search');
  assert.deepEqual(call.input, { query: 'news of Oslo' });
  assert.equal(result.tool_use_id, call.id);
  assert.equal(result.content.length, 2);
  assert.equal(result.content[0].type, 'web_search_result');
  assert.match(result.content[0].url, /^https:\/\/example\.com\//);
  assert.equal(msg.usage.server_tool_use.web_search_requests, 1);
  const next = await client.messages.create({
    model: 'qwen3-max', max_tokens: 100, tools,
    messages: [{ role: 'user', content: 'news of Oslo' }, { role: 'assistant', content: msg.content }, { role: 'user', content: 'and Bergen?' }],
  });
  assert.match(next.content[0].text, /Earlier answers of mine: 1/);
});

test('max_tokens cuts the answer: stop_reason max_tokens, streamed or not', async () => {
  const params = { model: 'claude-sonnet-5-5', max_tokens: 3, messages: [{ role: 'user', content: 'a limited answer' }] };
  const msg = await client.messages.create(params);
  const streamed = await client.messages.stream({ ...params, messages: [{ role: 'user', content: 'a limited stream' }] }).finalMessage();
  for (const m of [msg, streamed]) {
    assert.equal(m.stop_reason, 'max_tokens');
    assert.equal(m.content.length, 1);
    assert.equal(m.content[0].text.trim().split(/\s+/).length, 3, m.content[0].text);
    assert.match(m.content[0].text, /^You said: /);
    assert.equal(m.usage.output_tokens, 3);
  }
});

test('a tool call cut by max_tokens streams as far as it came, and the stream helper reads it', async () => {
  const final = await client.messages.stream({
    model: 'qwen3-max', max_tokens: 7, tools: [weather],
    messages: [{ role: 'user', content: 'use get_weather with {"city": "Oslo"}' }],
  }).finalMessage();
  assert.equal(final.stop_reason, 'max_tokens');
  assert.deepEqual(final.content.map((b) => b.type), ['text', 'tool_use']);
  assert.equal(final.content[1].name, 'get_weather');
});
