// OpenCode (opencode-ai): `opencode run`, its default mode, the prompt on
// standard input, the proxy as an OpenAI-compatible provider in opencode.json.
import { test } from 'node:test';
import { join } from 'node:path';
import { agentBin, assertAgentRoundTrip, opencodeConfig, runAgent, startKeyedProxy } from '../harness.mjs';

test('OpenCode writes a file with its write tool through the proxy', async (t) => {
  const proxy = await startKeyedProxy();
  t.after(() => proxy.stop());
  const run = await runAgent({
    command: agentBin('opencode'),
    args: ['run'],
    input: (work) => `use write with ${JSON.stringify({ filePath: join(work, 'hello.txt'), content: 'hello from opencode' })}\n`,
    files: { '.config/opencode/opencode.json': opencodeConfig('https://opencode.ai/config.json', proxy) },
    env: {
      OPENCODE_DISABLE_AUTOUPDATE: '1',
      OPENCODE_DISABLE_MODELS_FETCH: '1',
      OPENCODE_DISABLE_SHARE: '1',
      OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
      OPENCODE_DISABLE_DEFAULT_PLUGINS: '1',
    },
  });
  await assertAgentRoundTrip(t, proxy, run, { tool: 'write', file: 'hello.txt', content: 'hello from opencode' });
});
