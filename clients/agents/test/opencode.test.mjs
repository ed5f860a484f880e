// OpenCode (opencode-ai): `opencode run`, its default mode, the prompt on
// standard input, the proxy as an OpenAI-compatible provider in opencode.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentBin, assertAgentRoundTrip, assertEnded, describeCalls, opencodeConfig, recordedCalls, runAgent, startKeyedProxy, toolCount } from '../harness.mjs';

// What keeps OpenCode from the network beyond the proxy.
const openCodeEnv = {
  OPENCODE_DISABLE_AUTOUPDATE: '1',
  OPENCODE_DISABLE_MODELS_FETCH: '1',
  OPENCODE_DISABLE_SHARE: '1',
  OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
  OPENCODE_DISABLE_DEFAULT_PLUGINS: '1',
};

test('OpenCode writes a file with its write tool through the proxy', async (t) => {
  const proxy = await startKeyedProxy();
  t.after(() => proxy.stop());
  const run = await runAgent({
    command: agentBin('opencode'),
    args: ['run'],
    input: (work) => `use write with ${JSON.stringify({ filePath: join(work, 'hello.txt'), content: 'hello from opencode' })}\n`,
    files: { '.config/opencode/opencode.json': opencodeConfig('https://opencode.ai/config.json', proxy) },
    env: openCodeEnv,
  });
  await assertAgentRoundTrip(t, proxy, run, { tool: 'write', file: 'hello.txt', content: 'hello from opencode', clientSession: /^ses_[0-9A-Za-z]+$/ });
});

// An 8×8 red PNG, the image a user attaches.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEklEQVR4nGP4z8CAFWEXHbQSACj/P8Fu7N9hAAAAAElFTkSuQmCC', 'base64');

// `opencode run -f shot.png`: OpenCode sends an attached image only to a
// model whose configuration lists image input (modalities); without it, it
// replaces the image with "this model does not support image input" and the
// model never sees it. With the README's configuration the image reaches
// Qwen, uploaded with the turn, and the model says what it sees.
test('OpenCode passes an attached image to the model through the proxy', async (t) => {
  const proxy = await startKeyedProxy();
  t.after(() => proxy.stop());
  const run = await runAgent({
    command: agentBin('opencode'),
    args: (work) => {
      writeFileSync(join(work, 'shot.png'), PNG);
      return ['run', '-f', join(work, 'shot.png')];
    },
    input: 'what is in this image?\n',
    files: { '.config/opencode/opencode.json': opencodeConfig('https://opencode.ai/config.json', proxy) },
    env: openCodeEnv,
  });
  assertEnded(run);
  assert.doesNotMatch(run.stdout, /does not support image input/);
  assert.match(run.stdout, new RegExp(`I see 1 image: [^ ]+ \\(${PNG.length} bytes, image/png\\)`));
  const calls = await recordedCalls(proxy);
  for (const line of describeCalls(calls)) t.diagnostic(line);
  const images = calls.filter(({ request }) =>
    (request.openai_request?.messages ?? []).some((m) => Array.isArray(m.content) && m.content.some((p) => p.type === 'image_url')),
  );
  assert.ok(images.length > 0, `no call carried the image:\n${describeCalls(calls).join('\n')}`);
});

// A conversation grown too long for the model: Qwen refuses the turn
// (ContextLengthExceeded, the proxy's 400 context_length_exceeded), OpenCode
// compacts (a summary call without tools, under the same X-Session-Id) and
// goes on. Qwen keeps the conversation in its chat, which stays too long:
// the summary call and the turns after it must go on in a new chat, told
// what OpenCode sends, or they are refused again and the task never ends.
// (OpenCode 1.18.33 exits 1 once it has printed the error, though it went
// on: the exit code is not checked.)
test('OpenCode compacts a conversation too long for the model and goes on', async (t) => {
  const proxy = await startKeyedProxy();
  t.after(() => proxy.stop());
  const config = { '.config/opencode/opencode.json': opencodeConfig('https://opencode.ai/config.json', proxy) };
  const first = await runAgent({
    command: agentBin('opencode'),
    args: ['run'],
    input: (work) => `use write with ${JSON.stringify({ filePath: join(work, 'first.txt'), content: 'first' })}\n`,
    files: config,
    env: openCodeEnv,
  });
  assertEnded(first);
  const res = await fetch(`${proxy.sim}/__sim/faults`, { method: 'POST', body: JSON.stringify([{ context_too_long: true }]) });
  assert.equal(res.status, 204);
  const run = await runAgent({
    root: first.root,
    command: agentBin('opencode'),
    args: ['run', '--continue'],
    input: (work) => `use write with ${JSON.stringify({ filePath: join(work, 'after.txt'), content: 'after compaction' })}\n`,
    env: openCodeEnv,
  });
  const calls = await recordedCalls(proxy);
  for (const line of describeCalls(calls)) t.diagnostic(line);
  const summary = describeCalls(calls).join('\n');
  assert.ok(!run.timedOut, `killed after the timeout:\n${summary}`);
  assert.equal(readFileSync(join(run.work, 'after.txt'), 'utf8'), 'after compaction');
  assert.ok(calls.length <= 12, `${calls.length} calls:\n${summary}`);
  const refused = calls.findIndex(({ responses }) => responses[0]?.http_status === 400);
  assert.ok(refused >= 0, `no call was refused as too long:\n${summary}`);
  const outgrown = calls[refused].responses[0].chat_id;
  const after = calls.slice(refused + 1);
  assert.ok(after.some(({ request }) => toolCount(request.openai_request) === 0), `no summary call after the refusal:\n${summary}`);
  for (const { request, responses } of after) {
    assert.equal(responses[0].status, 'success', `request #${request.id} failed after the compaction: ${responses[0].error}\n${summary}`);
    assert.notEqual(responses[0].chat_id, outgrown, `request #${request.id} went to the outgrown chat:\n${summary}`);
  }
});
