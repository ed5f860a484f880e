// The official OpenAI Node SDK's Responses client against qwenproxy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { toResponseInputItems } from 'openai/lib/responses/ResponseInputItems';
import { startProxy } from '../proxy.mjs';

let proxy;
let client;
before(async () => {
  proxy = await startProxy();
  client = new OpenAI({ baseURL: proxy.baseURL, apiKey: 'not-checked', maxRetries: 0 });
});
after(() => proxy.stop());

const shell = {
  type: 'function',
  name: 'shell',
  description: 'Runs a shell command',
  parameters: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] },
};

test('answers without streaming, and keeps the response', async () => {
  const res = await client.responses.create({ model: 'gpt-5-codex', instructions: 'Be brief.', input: 'hello responses' });
  assert.equal(res.object, 'response');
  assert.equal(res.status, 'completed');
  assert.equal(res.model, 'gpt-5-codex');
  assert.equal(res.output_text, 'You said: "hello responses". System prompt: "Be brief.".');
  assert.ok(res.usage.total_tokens > 0);

  const again = await client.responses.retrieve(res.id);
  assert.equal(again.id, res.id);
  assert.equal(again.output_text, res.output_text);
  const items = [];
  for await (const item of client.responses.inputItems.list(res.id)) items.push(item);
  assert.equal(items.length, 1);
  assert.equal(items[0].content[0].text, 'hello responses');

  const deleted = await client.responses.delete(res.id);
  assert.ok(deleted === undefined || deleted.deleted !== false);
  await assert.rejects(client.responses.retrieve(res.id), (err) => err instanceof OpenAI.NotFoundError);
});

test('streams the semantic events', async () => {
  const stream = await client.responses.create({
    model: 'gpt-5',
    stream: true,
    reasoning: { effort: 'high', summary: 'auto' },
    input: [{ role: 'user', content: [{ type: 'input_text', text: 'stream to responses' }] }],
  });
  const types = [];
  let text = '';
  let reasoning = '';
  let completed;
  for await (const ev of stream) {
    types.push(ev.type);
    if (ev.type === 'response.output_text.delta') text += ev.delta;
    if (ev.type === 'response.reasoning_summary_text.delta') reasoning += ev.delta;
    if (ev.type === 'response.completed') completed = ev.response;
  }
  assert.equal(types[0], 'response.created');
  assert.equal(types[1], 'response.in_progress');
  assert.equal(types.at(-1), 'response.completed');
  for (const t of ['response.output_item.added', 'response.content_part.added', 'response.output_text.done', 'response.content_part.done', 'response.output_item.done']) {
    assert.ok(types.includes(t), `no ${t} in ${types}`);
  }
  assert.match(text, /^You said: "stream to responses"\./);
  assert.ok(reasoning.length > 0);
  assert.deepEqual(completed.output.map((i) => i.type), ['reasoning', 'message']);
  assert.equal(completed.output[1].content[0].text, text);
});

test('calls a function and continues with previous_response_id', async () => {
  const first = await client.responses.create({ model: 'gpt-5-codex', input: 'use shell with {"command": "ls"}', tools: [shell] });
  const call = first.output.find((i) => i.type === 'function_call');
  assert.equal(call.name, 'shell');
  assert.deepEqual(JSON.parse(call.arguments), { command: 'ls' });

  const second = await client.responses.create({
    model: 'gpt-5-codex',
    previous_response_id: first.id,
    input: [{ type: 'function_call_output', call_id: call.call_id, output: 'README.md' }],
    tools: [shell],
  });
  assert.equal(second.previous_response_id, first.id);
  assert.match(second.output_text, /said "README\.md"/);
});

test('streams a function call, and the whole history (store: false) continues the chat', async () => {
  const input = [{ role: 'user', content: 'use shell with {"command": "pwd"}' }];
  const stream = client.responses.stream({ model: 'gpt-5-codex', store: false, input, tools: [shell] });
  const first = await stream.finalResponse();
  const call = first.output.find((i) => i.type === 'function_call');
  assert.deepEqual(JSON.parse(call.arguments), { command: 'pwd' });

  const second = await client.responses.create({
    model: 'gpt-5-codex',
    store: false,
    input: [...input, ...first.output, { type: 'function_call_output', call_id: call.call_id, output: '/work' }],
    tools: [shell],
  });
  assert.equal(second.output_text, 'Thanks: shell said "/work".');
  await assert.rejects(client.responses.retrieve(second.id), (err) => err instanceof OpenAI.NotFoundError);
});

test('errors arrive as the SDK error classes', async () => {
  await assert.rejects(client.responses.create({ model: 'llama-3', input: 'x' }), (err) => err instanceof OpenAI.NotFoundError && /MODEL_MAP/.test(err.message));
  await assert.rejects(
    client.responses.create({ model: 'gpt-5', input: [{ type: 'input_image', image_url: 'x' }] }),
    (err) => err instanceof OpenAI.BadRequestError,
  );
});

test('a streamed search answer builds its annotations from the SDK\'s events', async () => {
  const stream = client.responses.stream({ model: 'qwen3-max-search', input: 'news of Tromsø' });
  const added = [];
  stream.on('response.output_text.annotation.added', (ev) => added.push(ev.annotation));
  const res = await stream.finalResponse();
  const text = res.output.find((i) => i.type === 'message').content[0];
  assert.equal(added.length, 2);
  assert.deepEqual(text.annotations, added);
  const chars = [...text.text];
  for (const [i, a] of added.entries()) {
    assert.equal(a.type, 'url_citation');
    assert.ok(chars.slice(a.start_index, a.end_index).join('').startsWith(`[${i + 1}] [`));
  }
});

// A searched answer shows its search as a web_search_call item before the
// message, which the SDK streams (response.web_search_call.* events) and
// keeps; resent with the history, the items go on in the same chat.
test('a search is a web_search_call item the SDK streams and resends', async () => {
  const stream = client.responses.stream({ model: 'qwen3-max', tools: [{ type: 'web_search' }], include: ['web_search_call.action.sources'], input: 'news of Oslo' });
  const events = [];
  for (const name of ['response.web_search_call.in_progress', 'response.web_search_call.searching', 'response.web_search_call.completed']) {
    stream.on(name, (ev) => events.push(ev.type));
  }
  const res = await stream.finalResponse();
  assert.deepEqual(events, ['response.web_search_call.in_progress', 'response.web_search_call.searching', 'response.web_search_call.completed']);
  assert.deepEqual(res.output.map((i) => i.type), ['web_search_call', 'message']);
  const [search] = res.output;
  assert.equal(search.status, 'completed');
  assert.equal(search.action.type, 'search');
  assert.equal(search.action.query, 'news of Oslo');
  assert.equal(search.action.sources.length, 2);
  const next = await client.responses.create({
    model: 'qwen3-max',
    tools: [{ type: 'web_search' }],
    input: toResponseInputItems([{ role: 'user', content: 'news of Oslo' }, ...res.output, { role: 'user', content: 'and Bergen?' }]),
  });
  assert.match(next.output_text, /Earlier answers of mine: 1/);
});

// The hosted image generation tool, forced, draws: an image_generation_call
// item whose result is the image as base64, streamed with the SDK's
// response.image_generation_call.* events.
test('a forced image_generation tool answers with an image_generation_call', async () => {
  const stream = client.responses.stream({ model: 'qwen3-max', tools: [{ type: 'image_generation' }], tool_choice: { type: 'image_generation' }, input: 'a red fox' });
  const events = [];
  for (const name of ['response.image_generation_call.in_progress', 'response.image_generation_call.generating', 'response.image_generation_call.completed']) {
    stream.on(name, (ev) => events.push(ev.type));
  }
  const res = await stream.finalResponse();
  assert.deepEqual(events, ['response.image_generation_call.in_progress', 'response.image_generation_call.generating', 'response.image_generation_call.completed']);
  assert.deepEqual(res.output.map((i) => i.type), ['image_generation_call']);
  assert.equal(res.output[0].status, 'completed');
  assert.equal(Buffer.from(res.output[0].result, 'base64').subarray(1, 4).toString(), 'PNG');
});

// openai 6.49's additional_tools item (role developer) offers more tools from
// its place in the conversation; it was a 400 listing the supported items. The
// history is resent as the SDK's toResponseInputItems() normalizes it, the
// item among it, and keeps its chat.
test('an additional_tools item offers its tools from where it stands', async () => {
  const write = { type: 'function', name: 'write', description: 'Writes a file', parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } };
  const first = await client.responses.create({ model: 'gpt-5-codex', store: false, tools: [shell], input: [{ role: 'user', content: 'hello there' }] });
  const history = toResponseInputItems([
    { role: 'user', content: 'hello there' },
    ...first.output,
    { type: 'additional_tools', role: 'developer', tools: [write] },
    { role: 'user', content: 'use write with {"path": "notes.txt"}' },
  ]);
  const second = await client.responses.create({ model: 'gpt-5-codex', store: false, tools: [shell], input: history });
  const call = second.output.find((item) => item.type === 'function_call');
  assert.equal(call?.name, 'write', JSON.stringify(second.output));
  assert.deepEqual(JSON.parse(call.arguments), { path: 'notes.txt' });
  const third = await client.responses.create({
    model: 'gpt-5-codex',
    store: false,
    tools: [shell],
    input: [...history, ...toResponseInputItems(second.output), { type: 'function_call_output', call_id: call.call_id, output: 'written' }],
  });
  assert.equal(third.output_text, 'Thanks: write said "written".');
});

// responses.compact (which the Agents SDK's OpenAIResponsesCompactionSession
// calls) was a 404. Its output — the user messages, then a compaction item —
// is sent back as the next input, as OpenAI documents it: the conversation
// goes on in the same Qwen chat, which is told only the new message. One
// compacted by previous_response_id, and an encrypted_content not made by
// the proxy, read as the SDK reads them.
test('compact replaces the history by a compaction item the next input carries', async () => {
  const first = await client.responses.create({ model: 'gpt-5', store: false, input: [{ role: 'user', content: 'remember the word kiwi' }] });
  const history = [{ role: 'user', content: 'remember the word kiwi' }, ...first.output];
  const compacted = await client.responses.compact({ model: 'gpt-5', input: history });
  assert.equal(compacted.object, 'response.compaction');
  assert.ok(compacted.usage.total_tokens > 0);
  assert.deepEqual(compacted.output.map((item) => item.type), ['message', 'compaction']);
  assert.equal(compacted.output[0].role, 'user');
  assert.equal(compacted.output[0].content[0].text, 'remember the word kiwi');
  assert.match(compacted.output[1].id, /^cmp_/);

  const next = await client.responses.create({
    model: 'gpt-5',
    store: false,
    input: [...toResponseInputItems(compacted.output), { role: 'user', content: 'which word?' }],
  });
  // The simulator's answer names what its chat was told before: the same
  // chat, told only the new message.
  assert.match(next.output_text, /^You said: "which word\?"\. Earlier you said: "remember the word kiwi"; "Summarize the conversation so far/);

  const again = await client.responses.compact({ model: 'gpt-5', previous_response_id: next.id });
  assert.deepEqual(again.output.map((item) => item.type), ['compaction']);
  const after = await client.responses.create({ model: 'gpt-5', store: false, input: [...again.output, { role: 'user', content: 'and now?' }] });
  assert.match(after.output_text, /^You said: "and now\?"\. Earlier you said: "remember the word kiwi"; .*"which word\?"/);

  await assert.rejects(
    client.responses.create({ model: 'gpt-5', input: [{ type: 'compaction', encrypted_content: 'gAAAAABpM0Yj-made-by-openai' }, { role: 'user', content: 'hi' }] }),
    (err) => err instanceof OpenAI.BadRequestError && err.param === 'input[0].encrypted_content' && err.code === 'invalid_encrypted_content',
  );
});

test('max_output_tokens cuts the answer: an incomplete response, streamed or not', async () => {
  // 16 is OpenAI's least max_output_tokens: the question is long enough
  // for the simulator's answer, which repeats it, to pass it.
  const question = 'a limited answer about the long road that winds through the hills and the valleys down to the sea';
  const params = { model: 'gpt-5-codex', max_output_tokens: 16, input: question };
  const res = await client.responses.create(params);
  const streamed = await client.responses.stream({ ...params, input: question + ', streamed' }).finalResponse();
  for (const r of [res, streamed]) {
    assert.equal(r.status, 'incomplete');
    assert.deepEqual(r.incomplete_details, { reason: 'max_output_tokens' });
    assert.equal(r.max_output_tokens, 16);
    assert.equal(r.output_text.trim().split(/\s+/).length, 16, r.output_text);
    assert.equal(r.output.at(-1).status, 'incomplete');
    assert.equal(r.usage.output_tokens, 16);
  }
  // Below 16 is OpenAI's 400, in its words.
  await assert.rejects(
    client.responses.create({ ...params, max_output_tokens: 15 }),
    (err) => err instanceof OpenAI.BadRequestError && err.param === 'max_output_tokens' && err.code === 'integer_below_min_value',
  );
  // A response cut so is continued as any other.
  const next = await client.responses.create({ model: 'gpt-5-codex', previous_response_id: res.id, input: 'go on' });
  assert.equal(next.status, 'completed');
});
