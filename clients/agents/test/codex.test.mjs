// Codex (@openai/codex): `codex exec`, the proxy's Responses API as a model
// provider in config.toml, its sandbox bypassed (CI runs it in a network
// namespace of its own instead), its own model name (mapped by MODEL_MAP's
// default).
import { test } from 'node:test';
import { join } from 'node:path';
import { agentBin, assertAgentRoundTrip, runAgent, startKeyedProxy } from '../harness.mjs';

// The config.toml the README gives, pointed at this run's proxy.
function codexConfig({ baseURL }) {
  return `model = "gpt-5-codex"
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
