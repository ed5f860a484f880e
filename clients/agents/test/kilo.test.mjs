// Kilo (@kilocode/cli, an OpenCode fork): `kilo run`, the prompt on standard
// input (given as arguments, `run` wraps words with spaces in quotes), the
// proxy as an OpenAI-compatible provider in kilo.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { acknowledges, agentBin, assertEnded, assertRoundTrip, describeCalls, recordedCalls, runAgent, startKeyedProxy } from '../harness.mjs';

// The kilo.json the README gives, pointed at this run's proxy.
function kiloConfig({ baseURL, key }) {
  return {
    $schema: 'https://app.kilo.ai/config.json',
    provider: {
      qwenproxy: {
        npm: '@ai-sdk/openai-compatible',
        name: 'qwenproxy',
        options: { baseURL, apiKey: key },
        models: { 'qwen3-coder-plus': { name: 'Qwen3 Coder Plus', tool_call: true } },
      },
    },
    model: 'qwenproxy/qwen3-coder-plus',
    small_model: 'qwenproxy/qwen3-coder-plus',
    autoupdate: false,
    share: 'disabled',
    permission: { edit: 'allow', bash: 'allow' },
  };
}

test('Kilo runs a shell command with its bash tool through the proxy', async (t) => {
  const proxy = await startKeyedProxy();
  t.after(() => proxy.stop());
  const run = await runAgent({
    command: agentBin('kilo'),
    args: ['run'],
    input: `use bash with ${JSON.stringify({ command: 'echo kilo was here > shell.txt', description: 'Write shell.txt' })}\n`,
    files: { '.config/kilo/kilo.json': kiloConfig(proxy) },
    env: {
      KILO_TELEMETRY_LEVEL: 'off',
      KILO_DISABLE_AUTOUPDATE: '1',
      KILO_DISABLE_MODELS_FETCH: '1',
      KILO_DISABLE_SHARE: '1',
      KILO_DISABLE_LSP_DOWNLOAD: '1',
      KILO_DISABLE_DEFAULT_PLUGINS: '1',
    },
  });
  assertEnded(run);
  assert.equal(readFileSync(join(run.work, 'shell.txt'), 'utf8'), 'kilo was here\n');
  assert.match(run.stdout, acknowledges('bash'));
  const calls = await recordedCalls(proxy);
  for (const line of describeCalls(calls)) t.diagnostic(line);
  assertRoundTrip(calls, { tool: 'bash' });
});
