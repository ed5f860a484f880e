// The official Anthropic TypeScript SDK against qwenproxy's Messages API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
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
