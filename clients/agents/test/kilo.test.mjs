// Kilo (@kilocode/cli, an OpenCode fork): `kilo run`, the prompt on standard
// input (given as arguments, `run` wraps words with spaces in quotes), the
// proxy as an OpenAI-compatible provider in kilo.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentBin, assertAgentRoundTrip, assertEnded, describeCalls, opencodeConfig, recordedCalls, runAgent, startKeyedProxy, toolCount } from '../harness.mjs';

// The configuration and environment the README gives: without its own
// gateway as a provider, Kilo does not ask it for a model list.
const kiloConfig = (proxy) => opencodeConfig('https://app.kilo.ai/config.json', proxy, { disabled_providers: ['kilo'] });
const kiloEnv = {
  KILO_TELEMETRY_LEVEL: 'off',
  KILO_DISABLE_AUTOUPDATE: '1',
  KILO_DISABLE_MODELS_FETCH: '1',
  KILO_DISABLE_SHARE: '1',
  KILO_DISABLE_LSP_DOWNLOAD: '1',
  KILO_DISABLE_DEFAULT_PLUGINS: '1',
};

test('Kilo runs a shell command with its bash tool through the proxy', async (t) => {
  const proxy = await startKeyedProxy();
  t.after(() => proxy.stop());
  const run = await runAgent({
    command: agentBin('kilo'),
    args: ['run'],
    input: `use bash with ${JSON.stringify({ command: 'echo kilo was here > shell.txt', description: 'Write shell.txt' })}\n`,
    files: { '.config/kilo/kilo.json': kiloConfig(proxy) },
    env: kiloEnv,
  });
  await assertAgentRoundTrip(t, proxy, run, { tool: 'bash', file: 'shell.txt', content: 'kilo was here\n', clientSession: /^ses_[0-9A-Za-z]+$/ });
});

// A developer's session: a task of several steps, one per turn (the
// simulator's plan) — a file written whose text holds Qwen's own tool
// markup and non-ASCII text, an edit that fails, a command — then
// `kilo run --continue` asking for one more. The write's arguments arrived
// cut at the "</tool_call>" inside them (the file written half, the rest
// shown as text); every call must stay in the conversation's one session
// and Qwen chat.
test('Kilo carries a session of several steps and turns through the proxy', async (t) => {
  const proxy = await startKeyedProxy();
  t.after(() => proxy.stop());
  const content = 'Call a tool so:\n<tool_call>\n{"name": "x", "arguments": {}}\n</tool_call>\nGrüße, 世界 🎉 "quoted" \\ done\n';
  const use = (tool, args) => `use ${tool} with ${JSON.stringify(args)}`;
  const first = await runAgent({
    command: agentBin('kilo'),
    args: ['run'],
    input: (work) =>
      [
        use('write', { filePath: join(work, 'notes.md'), content }),
        use('edit', { filePath: join(work, 'notes.md'), oldString: 'not in the file', newString: 'x' }),
        use('bash', { command: 'wc -l notes.md > count.txt', description: 'Count lines' }),
      ].join(', then ') + '\n',
    files: { '.config/kilo/kilo.json': kiloConfig(proxy) },
    env: kiloEnv,
  });
  assertEnded(first);
  assert.equal(readFileSync(join(first.work, 'notes.md'), 'utf8'), content);
  assert.equal(readFileSync(join(first.work, 'count.txt'), 'utf8'), '5 notes.md\n');
  assert.match(first.stdout, /^Thanks: edit said "Could not find oldString/m);
  const next = await runAgent({
    root: first.root,
    command: agentBin('kilo'),
    args: ['run', '--continue'],
    input: `${use('bash', { command: 'echo again > again.txt', description: 'Write again.txt' })}\n`,
    env: kiloEnv,
  });
  assertEnded(next);
  assert.equal(readFileSync(join(next.work, 'again.txt'), 'utf8'), 'again\n');
  const calls = await recordedCalls(proxy);
  for (const line of describeCalls(calls)) t.diagnostic(line);
  const summary = describeCalls(calls).join('\n');
  assert.ok(calls.length >= 6 && calls.length <= 12, `${calls.length} calls:\n${summary}`);
  for (const { request, responses } of calls) {
    assert.equal(responses.length, 1, `request #${request.id} has ${responses.length} response rows:\n${summary}`);
    assert.equal(responses[0].status, 'success', `request #${request.id} failed: ${responses[0].error}\n${summary}`);
  }
  const main = calls.filter(({ request }) => toolCount(request.openai_request) > 0);
  assert.equal(new Set(main.map(({ request }) => request.session_id)).size, 1, `the session ran in several sessions:\n${summary}`);
  assert.equal(new Set(main.map(({ responses }) => responses[0].chat_id)).size, 1, `the session ran in several Qwen chats:\n${summary}`);
  const called = main.flatMap(({ responses }) => responses[0].openai_response?.choices?.[0]?.message?.tool_calls ?? []).map((c) => c.function.name);
  assert.deepEqual(called, ['write', 'edit', 'bash', 'bash'], summary);
});
