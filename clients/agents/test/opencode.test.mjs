// OpenCode (opencode-ai): `opencode run`, its default mode, the prompt on
// standard input, the proxy as an OpenAI-compatible provider in opencode.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { acknowledges, agentBin, assertEnded, assertRoundTrip, describeCalls, recordedCalls, runAgent, startKeyedProxy } from '../harness.mjs';

// The opencode.json the README gives, pointed at this run's proxy.
function opencodeConfig({ baseURL, key }) {
  return {
    $schema: 'https://opencode.ai/config.json',
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

test('OpenCode writes a file with its write tool through the proxy', async (t) => {
  const proxy = await startKeyedProxy();
  t.after(() => proxy.stop());
  const run = await runAgent({
    command: agentBin('opencode'),
    args: ['run'],
    input: (work) => `use write with ${JSON.stringify({ filePath: join(work, 'hello.txt'), content: 'hello from opencode' })}\n`,
    files: { '.config/opencode/opencode.json': opencodeConfig(proxy) },
    env: {
      OPENCODE_DISABLE_AUTOUPDATE: '1',
      OPENCODE_DISABLE_MODELS_FETCH: '1',
      OPENCODE_DISABLE_SHARE: '1',
      OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
      OPENCODE_DISABLE_DEFAULT_PLUGINS: '1',
    },
  });
  assertEnded(run);
  assert.equal(readFileSync(join(run.work, 'hello.txt'), 'utf8'), 'hello from opencode');
  assert.match(run.stdout, acknowledges('write'));
  const calls = await recordedCalls(proxy);
  for (const line of describeCalls(calls)) t.diagnostic(line);
  assertRoundTrip(calls, { tool: 'write' });
});
