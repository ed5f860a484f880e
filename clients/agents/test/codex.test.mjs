// Codex (@openai/codex): `codex exec`, the proxy's Responses API as a model
// provider in config.toml, its sandbox bypassed (CI runs it in a network
// namespace of its own instead), its own model name (mapped by MODEL_MAP's
// default).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentBin, assertAgentRoundTrip, assertEnded, describeCalls, recordedCalls, runAgent, startKeyedProxy } from '../harness.mjs';

// The config.toml the README gives, pointed at this run's proxy.
function codexConfig({ baseURL }, model = 'gpt-5-codex') {
  return `model = "${model}"
model_provider = "qwenproxy"
check_for_update_on_startup = false

[model_providers.qwenproxy]
name = "qwenproxy"
base_url = "${baseURL}"
env_key = "QWENPROXY_API_KEY"
wire_api = "responses"

[analytics]
enabled = false
`;
}

test('Codex runs a shell command with its exec_command tool through the proxy', async (t) => {
  const proxy = await startKeyedProxy();
  t.after(() => proxy.stop());
  const run = await runAgent({
    command: agentBin('codex'),
    args: [
      'exec',
      '--dangerously-bypass-approvals-and-sandbox',
      '--skip-git-repo-check',
      `use exec_command with ${JSON.stringify({ cmd: 'echo codex was here > shell.txt' })}`,
    ],
    files: { '.codex/config.toml': codexConfig(proxy) },
    env: { QWENPROXY_API_KEY: proxy.key },
  });
  await assertAgentRoundTrip(t, proxy, run, { tool: 'exec_command', file: 'shell.txt', content: 'codex was here\n', path: '/v1/responses', clientSession: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/ });
});

// Codex declares apply_patch as a custom (freeform) tool for the GPT-5 names
// it has metadata for (gpt-5.5; not gpt-5-codex, for which it falls back to
// defaults without apply_patch): its input is the patch itself, not JSON. The proxy offers it to the model
// as a function of one string and answers the call as a custom_tool_call,
// which Codex applies.
test('Codex applies a patch with its custom apply_patch tool through the proxy', async (t) => {
  const proxy = await startKeyedProxy();
  t.after(() => proxy.stop());
  const patch = '*** Begin Patch\n*** Add File: patched.txt\n+codex patched this\n*** End Patch\n';
  const run = await runAgent({
    command: agentBin('codex'),
    args: [
      'exec',
      '--dangerously-bypass-approvals-and-sandbox',
      '--skip-git-repo-check',
      `use apply_patch with ${JSON.stringify({ input: patch })}`,
    ],
    files: { '.codex/config.toml': codexConfig(proxy, 'gpt-5.5') },
    env: { QWENPROXY_API_KEY: proxy.key },
  });
  await assertAgentRoundTrip(t, proxy, run, { tool: 'apply_patch', file: 'patched.txt', content: 'codex patched this\n', path: '/v1/responses' });
  const declared = (await recordedCalls(proxy)).flatMap(({ request }) => request.openai_request?.tools ?? []);
  assert.ok(declared.some((tool) => tool.type === 'custom' && tool.name === 'apply_patch'), 'Codex did not declare apply_patch as a custom tool');
});

// A user stops Codex while its command runs (Ctrl-C) and asks again with
// `codex exec resume --last`: the resumed turn sends the interrupted call's
// result ("aborted by user"), Codex's <turn_aborted> note and the request
// together. The request must be carried out, in the conversation's one
// session and Qwen chat (the simulator once thanked for the result alone,
// and the retried command never ran).
test('Codex carries out a request made again after its command was interrupted', async (t) => {
  const proxy = await startKeyedProxy();
  t.after(() => proxy.stop());
  const files = { '.codex/config.toml': codexConfig(proxy, 'gpt-5.5') };
  const env = { QWENPROXY_API_KEY: proxy.key };
  const exec = ['exec', '--dangerously-bypass-approvals-and-sandbox', '--skip-git-repo-check'];
  const stopped = await runAgent({
    command: agentBin('codex'),
    args: [...exec, `use exec_command with ${JSON.stringify({ cmd: 'touch started.txt; sleep 60' })}`],
    files,
    env,
    interruptWhen: (work) => existsSync(join(work, 'started.txt')),
  });
  assert.ok(stopped.interrupted && !stopped.timedOut, `the command was not interrupted:\n${stopped.stdout.slice(-2000)}`);
  const run = await runAgent({
    root: stopped.root,
    command: agentBin('codex'),
    args: [...exec, 'resume', '--last', `use exec_command with ${JSON.stringify({ cmd: 'echo again > again.txt' })}`],
    env,
  });
  assertEnded(run);
  assert.equal(readFileSync(join(run.work, 'again.txt'), 'utf8'), 'again\n');
  const calls = await recordedCalls(proxy);
  for (const line of describeCalls(calls)) t.diagnostic(line);
  const summary = describeCalls(calls).join('\n');
  assert.ok(calls.length <= 8, `${calls.length} calls:\n${summary}`);
  assert.equal(new Set(calls.map(({ request }) => request.session_id)).size, 1, `several sessions:\n${summary}`);
  assert.equal(new Set(calls.map(({ responses }) => responses[0]?.chat_id)).size, 1, `several Qwen chats:\n${summary}`);
  for (const { request, responses } of calls) {
    assert.equal(responses.length, 1, `request #${request.id} has ${responses.length} response rows:\n${summary}`);
    assert.equal(responses[0].status, 'success', `request #${request.id} failed: ${responses[0].error}\n${summary}`);
  }
});

// Qwen's error mid-answer ("please slow down") fails the stream; Codex
// retries the turn ("Reconnecting... 1/5") and must get the whole answer.
// The message the error cut short was sent done, so Codex kept the
// fragment and resent it as the assistant's last message, which the proxy
// took for a prefill: the retried answer was only the fragment's
// continuation, and the call it held was lost with it.
test('Codex retries a turn Qwen failed mid-answer and gets the whole answer', async (t) => {
  const proxy = await startKeyedProxy();
  t.after(() => proxy.stop());
  const fault = await fetch(`${proxy.sim}/__sim/faults`, { method: 'POST', body: JSON.stringify([{ error_after: 1 }]) });
  assert.ok(fault.ok, await fault.text());
  const run = await runAgent({
    command: agentBin('codex'),
    args: ['exec', '--dangerously-bypass-approvals-and-sandbox', '--skip-git-repo-check', `use exec_command with ${JSON.stringify({ cmd: 'echo retried > retried.txt' })}`],
    files: { '.codex/config.toml': codexConfig(proxy, 'gpt-5.5') },
    env: { QWENPROXY_API_KEY: proxy.key },
  });
  assertEnded(run);
  assert.equal(readFileSync(join(run.work, 'retried.txt'), 'utf8'), 'retried\n');
  assert.match(run.stdout, /^Thanks: exec_command said/m);
  const calls = await recordedCalls(proxy);
  for (const line of describeCalls(calls)) t.diagnostic(line);
  const summary = describeCalls(calls).join('\n');
  assert.ok(calls.length <= 8, `${calls.length} calls:\n${summary}`);
  assert.equal(calls[0].responses[0]?.error_type, 'rate_limited', `the first call did not fail:\n${summary}`);
  const resent = calls.filter(({ request }) => (request.openai_request?.input ?? []).some((item) => item.type === 'message' && item.role === 'assistant' && item.status === 'incomplete'));
  assert.equal(resent.length, 0, `Codex resent the message cut short in #${resent.map(({ request }) => request.id).join(', #')}:\n${summary}`);
});
