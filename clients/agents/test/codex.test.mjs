// Codex (@openai/codex): `codex exec`, the proxy's Responses API as a model
// provider in config.toml, its sandbox bypassed (CI runs it in a network
// namespace of its own instead), its own model name (mapped by MODEL_MAP's
// default).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { agentBin, assertAgentRoundTrip, recordedCalls, runAgent, startKeyedProxy } from '../harness.mjs';

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
  await assertAgentRoundTrip(t, proxy, run, { tool: 'exec_command', file: 'shell.txt', content: 'codex was here\n', path: '/v1/responses' });
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
