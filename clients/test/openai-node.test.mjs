// The official OpenAI Node SDK against qwenproxy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startProxy } from '../proxy.mjs';

let proxy;
let client;
before(async () => {
  proxy = await startProxy();
  client = new OpenAI({ baseURL: proxy.baseURL, apiKey: 'not-checked', maxRetries: 0 });
});
after(() => proxy.stop());

const weather = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

test('lists models', async () => {
  const ids = [];
  const variants = [];
  for await (const model of client.models.list()) (model.metadata?.variant_of ? variants : ids).push(model.id);
  assert.deepEqual(ids, ['qwen3-max', 'qwen3-vl-plus', 'qwen3-coder-plus', 'qwen3-vl-32b', 'qwen3.8-max', 'qwq-32b']);
  assert.ok(variants.includes('qwen3-max-search') && variants.includes('qwen3-vl-plus-thinking'), variants.join(','));
});

test('answers without streaming', async () => {
  const res = await client.chat.completions.create({ model: 'qwen3-max', messages: [{ role: 'user', content: 'hello node' }] });
  assert.equal(res.choices[0].message.content, 'You said: "hello node".');
  assert.equal(res.choices[0].finish_reason, 'stop');
  assert.ok(res.usage.total_tokens > 0);
});

test('streams with usage', async () => {
  const stream = await client.chat.completions.create({
    model: 'qwen3-max',
    stream: true,
    stream_options: { include_usage: true },
    messages: [{ role: 'user', content: 'stream to node' }],
  });
  let text = '';
  let chunks = 0;
  let usage;
  for await (const chunk of stream) {
    chunks++;
    text += chunk.choices[0]?.delta?.content ?? '';
    if (chunk.usage) usage = chunk.usage;
  }
  assert.equal(text, 'You said: "stream to node".');
  assert.ok(chunks > 5, `only ${chunks} chunks: the answer was not streamed incrementally`);
  assert.ok(usage.completion_tokens > 0);
});

test('calls a tool and continues with its result', async () => {
  const messages = [{ role: 'user', content: 'use get_weather with {"city": "Paris"}' }];
  const first = await client.chat.completions.create({ model: 'qwen3-max', messages, tools: [weather] });
  const call = first.choices[0].message.tool_calls?.[0];
  assert.equal(first.choices[0].finish_reason, 'tool_calls');
  assert.equal(call.function.name, 'get_weather');
  assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris' });

  messages.push(first.choices[0].message, { role: 'tool', tool_call_id: call.id, content: 'Rainy, 12°C' });
  const second = await client.chat.completions.create({ model: 'qwen3-max', messages, tools: [weather] });
  assert.equal(second.choices[0].message.content, 'Thanks: get_weather said "Rainy, 12°C".');
});

test('streams a tool call', async () => {
  const stream = client.chat.completions.stream({
    model: 'qwen3-max',
    messages: [{ role: 'user', content: 'use get_weather with {"city": "Lima"}' }],
    tools: [weather],
  });
  const final = await stream.finalChatCompletion();
  const call = final.choices[0].message.tool_calls[0];
  assert.equal(final.choices[0].finish_reason, 'tool_calls');
  assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Lima' });
});

test('structured output with the zod helper (response_format json_schema, parse)', async () => {
  const { z } = await import('zod');
  const { zodResponseFormat } = await import('openai/helpers/zod');
  const City = z.object({ city: z.string(), population: z.number().int() });
  const res = await client.chat.completions.parse({
    model: 'qwen3-max',
    messages: [{ role: 'user', content: 'Facts about Oslo: reply {"city": "Oslo", "population": 709000}' }],
    response_format: zodResponseFormat(City, 'city_facts'),
  });
  assert.deepEqual(res.choices[0].message.parsed, { city: 'Oslo', population: 709000 });
});

test('a strict tool with the zod helper (zodFunction, parse): arguments that break its schema are corrected', async () => {
  const { z } = await import('zod');
  const { zodFunction } = await import('openai/helpers/zod');
  // The model is asked to call get_time with an argument its schema does
  // not have; the proxy's corrective turn gets a call that validates, which
  // the SDK's parse accepts (it threw ZodError "tz Required").
  const res = await client.chat.completions.parse({
    model: 'qwen3-max',
    messages: [{ role: 'user', content: 'use get_time with {"zone": 5}' }],
    tools: [zodFunction({ name: 'get_time', parameters: z.object({ tz: z.string() }) })],
  });
  const call = res.choices[0].message.tool_calls[0];
  assert.equal(call.function.name, 'get_time');
  assert.equal(typeof call.function.parsed_arguments.tz, 'string');
});

test('a search variant cites its sources as annotations', async () => {
  const res = await client.chat.completions.create({ model: 'qwen3-max-search', messages: [{ role: 'user', content: 'news node' }] });
  const msg = res.choices[0].message;
  assert.equal(msg.annotations.length, 2);
  const chars = [...msg.content];
  for (const [i, a] of msg.annotations.entries()) {
    assert.equal(a.type, 'url_citation');
    assert.ok(chars.slice(a.url_citation.start_index, a.url_citation.end_index).join('').startsWith(`[${i + 1}] [`));
  }
});

test('an image part reaches a vision model', async () => {
  // A whole PNG of one red pixel (an image cut short is refused).
  const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c49444154789c63f8cfc0000003010100c9fe92ef0000000049454e44ae426082', 'hex').toString('base64');
  const res = await client.chat.completions.create({
    model: 'qwen3-vl-plus',
    messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } }] }],
  });
  assert.match(res.choices[0].message.content, /I see 1 image: image-[0-9a-f]+\.png \(69 bytes, image\/png\)/);
});

test('an image is generated', async () => {
  const res = await client.images.generate({ model: 'qwen3-max', prompt: 'a fox', response_format: 'b64_json' });
  assert.ok(Buffer.from(res.data[0].b64_json, 'base64').subarray(0, 4).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47])));
});

test('max_completion_tokens cuts the answer: finish_reason length, streamed or not', async () => {
  const params = { model: 'qwen3-max', max_completion_tokens: 3, messages: [{ role: 'user', content: 'a limited answer' }] };
  const completion = await client.chat.completions.create(params);
  assert.equal(completion.choices[0].finish_reason, 'length');
  assert.equal(completion.choices[0].message.content.trim().split(/\s+/).length, 3, completion.choices[0].message.content);
  assert.equal(completion.usage.completion_tokens, 3);
  const stream = client.chat.completions.stream({ ...params, messages: [{ role: 'user', content: 'a limited stream' }], stream_options: { include_usage: true } });
  const final = await stream.finalChatCompletion();
  assert.equal(final.choices[0].finish_reason, 'length');
  assert.match(final.choices[0].message.content, /^You said: \S+$/);
  assert.equal(final.usage.completion_tokens, 3);
});
