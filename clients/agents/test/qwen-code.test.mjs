// Qwen Code (@qwen-code/qwen-code): `qwen -p`, headless, tools approved with
// --yolo, the proxy as its OpenAI provider through the environment. It
// declares Node >= 22 and runs on Node 20.
import { test } from 'node:test';
import { join } from 'node:path';
import { agentBin, assertAgentRoundTrip, runAgent, startKeyedProxy } from '../harness.mjs';

test('Qwen Code writes a file with its write_file tool through the proxy', async (t) => {
  const proxy = await startKeyedProxy();
  t.after(() => proxy.stop());
  const run = await runAgent({
    command: agentBin('qwen'),
    args: (work) => [
      '-p',
      `use write_file with ${JSON.stringify({ file_path: join(work, 'hello.txt'), content: 'hello from qwen code' })}`,
      '--yolo',
    ],
    files: {
      // The settings the README gives: OpenAI auth, no telemetry, no update checks.
      '.qwen/settings.json': {
        security: { auth: { selectedType: 'openai' } },
        privacy: { usageStatisticsEnabled: false },
        telemetry: { enabled: false },
        general: { disableAutoUpdate: true, disableUpdateNag: true },
      },
    },
    env: {
      OPENAI_BASE_URL: proxy.baseURL,
      OPENAI_API_KEY: proxy.key,
      OPENAI_MODEL: 'qwen3-coder-plus',
      QWEN_CODE_SUPPRESS_YOLO_WARNING: '1',
    },
  });
  await assertAgentRoundTrip(t, proxy, run, { tool: 'write_file', file: 'hello.txt', content: 'hello from qwen code' });
});
