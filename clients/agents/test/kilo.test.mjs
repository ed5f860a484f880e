// Kilo (@kilocode/cli, an OpenCode fork): `kilo run`, the prompt on standard
// input (given as arguments, `run` wraps words with spaces in quotes), the
// proxy as an OpenAI-compatible provider in kilo.json.
import { test } from 'node:test';
import { agentBin, assertAgentRoundTrip, opencodeConfig, runAgent, startKeyedProxy } from '../harness.mjs';

test('Kilo runs a shell command with its bash tool through the proxy', async (t) => {
  const proxy = await startKeyedProxy();
  t.after(() => proxy.stop());
  const run = await runAgent({
    command: agentBin('kilo'),
    args: ['run'],
    input: `use bash with ${JSON.stringify({ command: 'echo kilo was here > shell.txt', description: 'Write shell.txt' })}\n`,
    files: {
      // Without its own gateway as a provider, Kilo does not ask it for a model list.
      '.config/kilo/kilo.json': opencodeConfig('https://app.kilo.ai/config.json', proxy, { disabled_providers: ['kilo'] }),
    },
    env: {
      KILO_TELEMETRY_LEVEL: 'off',
      KILO_DISABLE_AUTOUPDATE: '1',
      KILO_DISABLE_MODELS_FETCH: '1',
      KILO_DISABLE_SHARE: '1',
      KILO_DISABLE_LSP_DOWNLOAD: '1',
      KILO_DISABLE_DEFAULT_PLUGINS: '1',
    },
  });
  await assertAgentRoundTrip(t, proxy, run, { tool: 'bash', file: 'shell.txt', content: 'kilo was here\n' });
});
