// Claude Code (@anthropic-ai/claude-code): `claude -p`, the proxy's Anthropic
// Messages API as ANTHROPIC_BASE_URL, its own model names (mapped by
// MODEL_MAP's default). As root it refuses --dangerously-skip-permissions,
// so the tool it needs is allowed by flag.
import { test } from 'node:test';
import { join } from 'node:path';
import { agentBin, assertAgentRoundTrip, runAgent, startKeyedProxy } from '../harness.mjs';

test('Claude Code writes a file with its Write tool through the proxy', async (t) => {
  const proxy = await startKeyedProxy();
  t.after(() => proxy.stop());
  const run = await runAgent({
    command: agentBin('claude'),
    args: (work) => [
      '-p',
      `use Write with ${JSON.stringify({ file_path: join(work, 'hello.txt'), content: 'hello from claude code' })}`,
      '--allowedTools',
      'Write',
    ],
    env: {
      // The environment the README gives.
      ANTHROPIC_BASE_URL: proxy.baseURL.replace(/\/v1$/, ''),
      ANTHROPIC_API_KEY: proxy.key,
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_TELEMETRY: '1',
      DISABLE_ERROR_REPORTING: '1',
      DISABLE_AUTOUPDATER: '1',
    },
  });
  await assertAgentRoundTrip(t, proxy, run, { tool: 'Write', file: 'hello.txt', content: 'hello from claude code', path: '/v1/messages' });
});
