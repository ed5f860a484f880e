// The Vercel AI SDK (what OpenCode is built on) against qwenproxy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, streamText, tool, stepCountIs, experimental_generateImage as generateImage } from 'ai';
import { z } from 'zod';
import { startProxy } from '../proxy.mjs';

let proxy;
let model;
let responsesModel;
before(async () => {
  proxy = await startProxy();
  // .chat: the Chat Completions API.
  model = createOpenAI({ baseURL: proxy.baseURL, apiKey: 'not-checked' }).chat('qwen3-max');
  // The provider's default, the Responses API: from its second step on it
  // sends the stored answer's items as item_reference items.
  responsesModel = createOpenAI({ baseURL: proxy.baseURL, apiKey: 'not-checked' })('gpt-5');
});
after(() => proxy.stop());

test('generateText', async () => {
  const { text, usage } = await generateText({ model, prompt: 'hello ai sdk', maxRetries: 0 });
  assert.equal(text, 'You said: "hello ai sdk".');
  assert.ok(usage.outputTokens > 0);
});

test('streamText', async () => {
  const result = streamText({ model, prompt: 'stream through the ai sdk', maxRetries: 0 });
  let text = '';
  let parts = 0;
  for await (const delta of result.textStream) {
    text += delta;
    parts++;
  }
  assert.equal(text, 'You said: "stream through the ai sdk".');
  assert.ok(parts > 3, `only ${parts} text parts`);
});

test('tool round trip completes', async () => {
  const calls = [];
  const result = await generateText({
    model,
    maxRetries: 0,
    prompt: 'use get_weather with {"city": "Tokyo"}',
    tools: {
      get_weather: tool({
        description: 'Current weather in a city',
        inputSchema: z.object({ city: z.string() }),
        execute: async ({ city }) => {
          calls.push(city);
          return `Sunny in ${city}`;
        },
      }),
    },
    stopWhen: stepCountIs(3),
  });
  assert.deepEqual(calls, ['Tokyo']);
  assert.equal(result.steps.length, 2);
  assert.match(result.text, /^Thanks: get_weather said ".*Sunny in Tokyo.*"\.$/);
});

test('streamed tool round trip completes', async () => {
  const result = streamText({
    model,
    maxRetries: 0,
    prompt: 'use get_weather with {"city": "Quito"}',
    tools: {
      get_weather: tool({
        inputSchema: z.object({ city: z.string() }),
        execute: async ({ city }) => `Windy in ${city}`,
      }),
    },
    stopWhen: stepCountIs(3),
  });
  let text = '';
  for await (const delta of result.textStream) text += delta;
  assert.match(text, /Windy in Quito/);
  assert.equal((await result.steps).length, 2);
});

// The role chunk said "content": "", which the provider takes as the start
// of a text: a streamed answer that was only a call had an empty text part
// before it (and its step's content an empty text).
test('a streamed forced call has no empty text part', async () => {
  const result = streamText({
    model,
    maxRetries: 0,
    prompt: 'use get_weather with {"city": "Rome"}',
    toolChoice: 'required',
    tools: { get_weather: tool({ inputSchema: z.object({ city: z.string() }) }) },
  });
  const types = [];
  for await (const part of result.fullStream) types.push(part.type);
  assert.ok(!types.includes('text-start'), types.join(' '));
  assert.deepEqual((await result.content).map((c) => c.type), ['tool-call']);
});

test('tool round trip through the Responses API (item references)', async () => {
  for (const reasoning of [false, true]) {
    const result = await generateText({
      model: responsesModel,
      maxRetries: 0,
      prompt: 'use get_weather with {"city": "Lima"}',
      providerOptions: reasoning ? { openai: { reasoningEffort: 'high', reasoningSummary: 'auto' } } : {},
      tools: {
        get_weather: tool({
          inputSchema: z.object({ city: z.string() }),
          execute: async ({ city }) => `Foggy in ${city}`,
        }),
      },
      stopWhen: stepCountIs(3),
    });
    assert.equal(result.steps.length, 2);
    assert.match(result.text, /^Thanks: get_weather said ".*Foggy in Lima.*"\.$/);
  }
});

test('thinking is counted as reasoning tokens, in both APIs', async () => {
  const provider = createOpenAI({ baseURL: proxy.baseURL, apiKey: 'not-checked' });
  for (const m of [provider.chat('qwen3-vl-plus-thinking'), provider('qwen3-vl-plus-thinking')]) {
    const { usage } = await generateText({ model: m, prompt: 'think it over', maxRetries: 0 });
    assert.ok(usage.reasoningTokens > 0 && usage.reasoningTokens < usage.outputTokens, JSON.stringify(usage));
    const result = streamText({ model: m, prompt: 'think it over', maxRetries: 0 });
    await result.consumeStream();
    const streamed = await result.usage;
    assert.ok(streamed.reasoningTokens > 0 && streamed.reasoningTokens < streamed.outputTokens, JSON.stringify(streamed));
  }
});

// The provider's GPT image models send no response_format (OpenAI answers
// them only in base64) and read b64_json alone: the proxy answered Qwen's
// URL, and the SDK had no image.
test('generateImage with a GPT image model', async () => {
  const provider = createOpenAI({ baseURL: proxy.baseURL, apiKey: 'not-checked' });
  const { image } = await generateImage({ model: provider.image('gpt-image-1'), prompt: 'a red fox in the snow', maxRetries: 0 });
  assert.deepEqual([...image.uint8Array.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]); // PNG
});
