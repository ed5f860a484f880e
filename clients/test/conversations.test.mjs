// The official OpenAI Node SDK's Conversations client against qwenproxy.
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

// Every item of a conversation, through the SDK's pagination.
async function allItems(id, query) {
  const items = [];
  for await (const item of client.conversations.items.list(id, query)) items.push(item);
  return items;
}

const textOf = (item) => item.content?.[0]?.text;

test('a conversation is answered in twice, in one chat, and its items listed, paged, retrieved and deleted', async () => {
  const conv = await client.conversations.create({
    items: [{ type: 'message', role: 'user', content: 'My name is Ada.' }],
    metadata: { topic: 'demo' },
  });
  assert.match(conv.id, /^conv_/);
  assert.equal(conv.object, 'conversation');
  assert.ok(Number.isInteger(conv.created_at) && conv.created_at < Date.now() / 1000 + 5);
  assert.deepEqual(conv.metadata, { topic: 'demo' });

  const first = await client.responses.create({ model: 'gpt-5', input: 'one', conversation: conv.id });
  assert.equal(first.status, 'completed');
  assert.deepEqual(first.conversation, { id: conv.id });
  assert.match(first.output_text, /My name is Ada\./);

  const added = await client.conversations.items.create(conv.id, { items: [{ type: 'message', role: 'user', content: 'two-a' }] });
  assert.equal(added.object, 'list');
  assert.equal(added.data.length, 1);
  assert.equal(textOf(added.data[0]), 'two-a');

  // Streamed, and named by an object: the simulator's answer counts the
  // first answer, so the second turn went on in the same chat.
  const stream = await client.responses.create({ model: 'gpt-5', input: 'two-b', conversation: { id: conv.id }, stream: true });
  let second;
  for await (const ev of stream) if (ev.type === 'response.completed') second = ev.response;
  assert.ok(second, 'the stream completed');
  assert.match(second.output_text ?? second.output[0].content[0].text, /You said: "two-a\\n\\ntwo-b"\. Earlier you said: "My name is Ada\.\\n\\none"\. Earlier answers of mine: 1\./);

  // Oldest first, two at a time; newest first (the default), three at a time.
  const asc = await allItems(conv.id, { order: 'asc', limit: 2 });
  assert.deepEqual(asc.map((i) => `${i.role}:${i.role === 'user' ? textOf(i) : ''}`),
    ['user:My name is Ada.', 'user:one', 'assistant:', 'user:two-a', 'user:two-b', 'assistant:']);
  const desc = await allItems(conv.id, { limit: 3 });
  assert.deepEqual(desc.map((i) => i.id), asc.map((i) => i.id).reverse());
  const page = await client.conversations.items.list(conv.id, { order: 'asc', limit: 4 });
  assert.equal(page.data.length, 4);
  assert.equal(page.has_more, true);
  assert.equal(page.last_id, asc[3].id);

  const item = await client.conversations.items.retrieve(asc[3].id, { conversation_id: conv.id });
  assert.equal(item.id, asc[3].id);
  assert.equal(textOf(item), 'two-a');

  // An item Qwen's chat has been sent cannot be taken back; one not sent yet can.
  await assert.rejects(client.conversations.items.delete(asc[0].id, { conversation_id: conv.id }),
    (err) => err instanceof OpenAI.BadRequestError && err.code === 'item_already_sent');
  const pending = await client.conversations.items.create(conv.id, { items: [{ role: 'user', content: 'never mind' }] });
  const afterDelete = await client.conversations.items.delete(pending.data[0].id, { conversation_id: conv.id });
  assert.equal(afterDelete.id, conv.id);
  assert.equal(afterDelete.object, 'conversation');
  await assert.rejects(client.conversations.items.retrieve(pending.data[0].id, { conversation_id: conv.id }),
    (err) => err instanceof OpenAI.NotFoundError);

  const updated = await client.conversations.update(conv.id, { metadata: { topic: 'changed' } });
  assert.deepEqual(updated.metadata, { topic: 'changed' });
  assert.deepEqual((await client.conversations.retrieve(conv.id)).metadata, { topic: 'changed' });

  const deleted = await client.conversations.delete(conv.id);
  assert.deepEqual(deleted, { id: conv.id, object: 'conversation.deleted', deleted: true });
  await assert.rejects(client.conversations.retrieve(conv.id), (err) => err instanceof OpenAI.NotFoundError);
  // Its responses stay.
  assert.equal((await client.responses.retrieve(first.id)).id, first.id);
});

test('bad input is a 400 in OpenAI\'s shape', async () => {
  const conv = await client.conversations.create();
  assert.deepEqual(conv.metadata, {});
  const tooMany = Array.from({ length: 21 }, () => ({ role: 'user', content: 'x' }));
  await assert.rejects(client.conversations.create({ items: tooMany }),
    (err) => err instanceof OpenAI.BadRequestError && err.param === 'items');
  await assert.rejects(client.conversations.items.create(conv.id, { items: [{ role: 'robot', content: 'x' }] }),
    (err) => err instanceof OpenAI.BadRequestError && err.param === 'items[0].role');
  await assert.rejects(client.conversations.update(conv.id, { metadata: { ['k'.repeat(65)]: 'v' } }),
    (err) => err instanceof OpenAI.BadRequestError && err.param === 'metadata');
  const answered = await client.responses.create({ model: 'gpt-5', input: 'hi' });
  await assert.rejects(client.responses.create({ model: 'gpt-5', input: 'hi', conversation: conv.id, previous_response_id: answered.id }),
    (err) => err instanceof OpenAI.BadRequestError && err.code === 'mutually_exclusive_parameters');
  await assert.rejects(client.responses.create({ model: 'gpt-5', input: 'hi', conversation: 'conv_00000000000000000000000000000000' }),
    (err) => err instanceof OpenAI.NotFoundError && err.param === 'conversation');
  assert.equal((await allItems(conv.id)).length, 0);
});
