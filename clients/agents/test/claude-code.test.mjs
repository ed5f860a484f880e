// Claude Code (@anthropic-ai/claude-code): `claude -p`, the proxy's Anthropic
// Messages API as ANTHROPIC_BASE_URL, its own model names (mapped by
// MODEL_MAP's default). As root it refuses --dangerously-skip-permissions,
// so the tool it needs is allowed by flag.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentBin, assertAgentRoundTrip, assertEnded, describeCalls, recordedCalls, runAgent, startKeyedProxy, toolCount } from '../harness.mjs';

// The environment the README gives.
const claudeEnv = (proxy) => ({
  ANTHROPIC_BASE_URL: proxy.baseURL.replace(/\/v1$/, ''),
  ANTHROPIC_API_KEY: proxy.key,
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  DISABLE_TELEMETRY: '1',
  DISABLE_ERROR_REPORTING: '1',
  DISABLE_AUTOUPDATER: '1',
});

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
    env: claudeEnv(proxy),
  });
  await assertAgentRoundTrip(t, proxy, run, { tool: 'Write', file: 'hello.txt', content: 'hello from claude code', path: '/v1/messages', clientSession: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/ });
});

// A developer's task is several tools in a row, each chosen once the
// previous result is back: read a 100 KB file of non-ASCII text, edit
// another, run a command, and a command that fails (its error goes back to
// the model). The simulator takes the prompt's plan one step per turn
// ("use A …, then use B …"); the calls must all run in one session and one
// Qwen chat, each result carried back, the edit and the command's output on
// disk.
test('Claude Code carries out a task of several steps through the proxy', async (t) => {
  const proxy = await startKeyedProxy();
  t.after(() => proxy.stop());
  const line = 'héllo wörld 日本語 ✓ — line\n';
  const plan = (work) =>
    [
      `use Read with ${JSON.stringify({ file_path: join(work, 'big.txt') })}`,
      `use Edit with ${JSON.stringify({ file_path: join(work, 'notes.txt'), old_string: 'Köln', new_string: 'Köln, 世界' })}`,
      `use Bash with ${JSON.stringify({ command: 'wc -c big.txt > count.txt' })}`,
      `use Bash with ${JSON.stringify({ command: 'cat missing-file' })}`,
    ].join(', then ');
  const run = await runAgent({
    command: agentBin('claude'),
    args: (work) => {
      writeFileSync(join(work, 'big.txt'), line.repeat(Math.ceil(100_000 / Buffer.byteLength(line))));
      writeFileSync(join(work, 'notes.txt'), 'Grüße aus Köln\n');
      return ['-p', plan(work), '--allowedTools', 'Read', 'Edit', 'Bash'];
    },
    env: claudeEnv(proxy),
  });
  assertEnded(run);
  assert.equal(readFileSync(join(run.work, 'notes.txt'), 'utf8'), 'Grüße aus Köln, 世界\n');
  assert.match(readFileSync(join(run.work, 'count.txt'), 'utf8'), /^1\d{5} big\.txt\n$/);
  assert.match(run.stdout, /^Thanks: Bash said .*Exit code 1/m);
  const calls = await recordedCalls(proxy);
  for (const l of describeCalls(calls)) t.diagnostic(l);
  const summary = describeCalls(calls).join('\n');
  assert.ok(calls.length >= 5 && calls.length <= 12, `${calls.length} calls:\n${summary}`);
  for (const { request, responses } of calls) {
    assert.equal(responses.length, 1, `request #${request.id} has ${responses.length} response rows:\n${summary}`);
    assert.equal(responses[0].status, 'success', `request #${request.id} failed: ${responses[0].error}\n${summary}`);
  }
  const main = calls.filter(({ request }) => toolCount(request.openai_request) > 0);
  assert.equal(new Set(main.map(({ request }) => request.session_id)).size, 1, `the task ran in several sessions:\n${summary}`);
  assert.equal(new Set(main.map(({ responses }) => responses[0].chat_id)).size, 1, `the task ran in several Qwen chats:\n${summary}`);
  const called = main.flatMap(({ responses }) => (responses[0].openai_response?.content ?? []).filter((b) => b.type === 'tool_use').map((b) => b.name));
  assert.deepEqual(called, ['Read', 'Edit', 'Bash', 'Bash'], summary);
});

// Qwen asks to slow down after the answer began (its in-stream
// Too_Many_Requests): Claude Code must retry the turn by itself and finish
// the task, as it retries an overloaded API mid-answer. The stream ended
// with a rate_limit_error, which Claude Code reported at once ("API Error:
// Qwen rate limit reached: please slow down") and exited 1, the task
// undone.
test('Claude Code retries a turn Qwen asked to slow down mid-answer and finishes the task', async (t) => {
  const proxy = await startKeyedProxy();
  t.after(() => proxy.stop());
  const fault = await fetch(`${proxy.sim}/__sim/faults`, { method: 'POST', body: JSON.stringify([{ error_after: 1 }]) });
  assert.ok(fault.ok, await fault.text());
  const run = await runAgent({
    command: agentBin('claude'),
    args: (work) => ['-p', `use Write with ${JSON.stringify({ file_path: join(work, 'retried.txt'), content: 'written after a retry' })}`, '--allowedTools', 'Write'],
    env: claudeEnv(proxy),
  });
  assertEnded(run);
  assert.equal(readFileSync(join(run.work, 'retried.txt'), 'utf8'), 'written after a retry');
  assert.match(run.stdout, /^Thanks: Write said/m);
  const calls = await recordedCalls(proxy);
  for (const l of describeCalls(calls)) t.diagnostic(l);
  const summary = describeCalls(calls).join('\n');
  assert.ok(calls.length <= 8, `${calls.length} calls:\n${summary}`);
  assert.equal(calls[0].responses[0]?.error_type, 'rate_limited', `the first call did not fail:\n${summary}`);
  const main = calls.filter(({ request }) => toolCount(request.openai_request) > 0);
  assert.equal(new Set(main.map(({ request }) => request.session_id)).size, 1, `the task ran in several sessions:\n${summary}`);
});
