// Qwen Code (@qwen-code/qwen-code): `qwen -p`, headless, tools approved with
// --yolo, the proxy as its OpenAI provider through the environment. It
// declares Node >= 22 and runs on Node 20.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { acknowledges, agentBin, assertEnded, assertRoundTrip, describeCalls, recordedCalls, runAgent, startKeyedProxy } from '../harness.mjs';

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
  assertEnded(run);
  assert.equal(readFileSync(join(run.work, 'hello.txt'), 'utf8'), 'hello from qwen code');
  assert.match(run.stdout, acknowledges('write_file'));
  const calls = await recordedCalls(proxy);
  for (const line of describeCalls(calls)) t.diagnostic(line);
  assertRoundTrip(calls, { tool: 'write_file' });
});
