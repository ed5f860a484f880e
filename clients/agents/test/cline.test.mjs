// Cline (cline, the CLI): `cline "prompt"`, one task run headless with its
// tools auto-approved (the default), the proxy as its OpenAI-compatible
// provider in ~/.cline/data/settings/providers.json (what `cline auth
// --provider openai --baseurl … --apikey … --modelid …` writes), telemetry
// and auto-update off in global-settings.json. Cline calls tools natively
// (OpenAI tool_calls), several in one answer, and takes a session back with
// --id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentBin, assertClientSession, assertEnded, describeCalls, recordedCalls, runAgent, startKeyedProxy, toolCount } from '../harness.mjs';

// The settings the README gives, pointed at this run's proxy.
function clineSettings({ baseURL, key }) {
  return {
    '.cline/data/settings/providers.json': {
      version: 1,
      lastUsedProvider: 'openai-compatible',
      modes: {},
      providers: {
        'openai-compatible': {
          settings: { provider: 'openai-compatible', apiKey: key, model: 'qwen3-coder-plus', baseUrl: baseURL },
          updatedAt: new Date().toISOString(), // without it, Cline 3.0.65 hangs before its first call
          tokenSource: 'manual',
        },
      },
    },
    '.cline/data/settings/global-settings.json': { telemetryOptOut: true, autoUpdateEnabled: false },
  };
}

const use = (tool, args) => `use ${tool} with ${JSON.stringify(args)}`;

test('Cline reads a file, writes one and runs a command through the proxy', async (t) => {
  const proxy = await startKeyedProxy();
  t.after(() => proxy.stop());
  const env = { CLINE_NO_AUTO_UPDATE: '1' };
  // Three tools in one answer, as Cline's prompt asks of a model
  // (independent reads, edits and commands together), their results in the
  // next call.
  const first = await runAgent({
    command: agentBin('cline'),
    args: (work) => {
      writeFileSync(join(work, 'notes.txt'), 'the answer is 42\n');
      return [
        [
          use('read_files', { files: [{ path: join(work, 'notes.txt') }] }),
          use('editor', { path: join(work, 'answer.txt'), new_text: 'forty-two\n' }),
          use('run_commands', { commands: ['echo cline was here > shell.txt'] }),
        ].join('\n'),
      ];
    },
    files: clineSettings(proxy),
    env,
  });
  assertEnded(first);
  assert.equal(readFileSync(join(first.work, 'answer.txt'), 'utf8'), 'forty-two\n');
  assert.equal(readFileSync(join(first.work, 'shell.txt'), 'utf8'), 'cline was here\n');
  assert.match(first.stdout, /^Thanks: read_files said .*the answer is 42.*editor said .*run_commands said/m);

  const calls = await recordedCalls(proxy);
  for (const line of describeCalls(calls)) t.diagnostic(line);
  const summary = describeCalls(calls).join('\n');
  assert.ok(calls.length >= 2 && calls.length <= 12, `${calls.length} calls recorded:\n${summary}`);
  for (const { request, responses } of calls) {
    assert.equal(responses.length, 1, `request #${request.id} has ${responses.length} response rows:\n${summary}`);
    assert.equal(responses[0].status, 'success', `request #${request.id} failed: ${responses[0].error}\n${summary}`);
    assert.ok(request.api_key_id, `request #${request.id} was made without the proxy key`);
  }
  const main = calls.filter(({ request }) => toolCount(request.openai_request) > 0);
  const calledTools = main.flatMap(({ responses }) => responses[0].openai_response?.choices?.[0]?.message?.tool_calls ?? []).map((c) => c.function.name);
  assert.deepEqual(calledTools, ['read_files', 'editor', 'run_commands'], summary);
  const chats = new Set(main.map(({ responses }) => responses[0].chat_id));
  assert.equal(chats.size, 1, `the conversation ran in ${chats.size} Qwen chats:\n${summary}`);
  const sessions = new Set(main.map(({ request }) => request.session_id));
  assert.equal(sessions.size, 1, `the conversation ran in ${sessions.size} sessions: ${[...sessions].join(' ')}`);
  // Cline sends no id of its own conversation.
  await assertClientSession(proxy, calls, null);
});

// `cline --yolo`, the headless mode Cline documents for CI: the run ends only
// when the model calls submit_and_exit, which Cline reminds it of after every
// answer without a call; each of those calls goes on in the one Qwen chat.
test('Cline --yolo edits a file and ends with submit_and_exit through the proxy', async (t) => {
  const proxy = await startKeyedProxy();
  t.after(() => proxy.stop());
  const run = await runAgent({
    command: agentBin('cline'),
    args: (work) => {
      writeFileSync(join(work, 'app.py'), 'print("hello")\n');
      return ['--yolo', use('editor', { path: join(work, 'app.py'), old_text: 'hello', new_text: 'hello, cline' })];
    },
    files: clineSettings(proxy),
    env: { CLINE_NO_AUTO_UPDATE: '1' },
  });
  assertEnded(run);
  assert.equal(readFileSync(join(run.work, 'app.py'), 'utf8'), 'print("hello, cline")\n');
  assert.match(run.stdout, /^Thanks: editor said/m);
  const calls = await recordedCalls(proxy);
  for (const line of describeCalls(calls)) t.diagnostic(line);
  const summary = describeCalls(calls).join('\n');
  assert.ok(calls.length >= 3 && calls.length <= 12, `${calls.length} calls recorded:\n${summary}`);
  for (const { request, responses } of calls) {
    assert.equal(responses[0]?.status, 'success', `request #${request.id} failed:\n${summary}`);
  }
  const main = calls.filter(({ request }) => toolCount(request.openai_request) > 0);
  const calledTools = main.flatMap(({ responses }) => responses[0].openai_response?.choices?.[0]?.message?.tool_calls ?? []).map((c) => c.function.name);
  assert.deepEqual(calledTools, ['editor', 'submit_and_exit'], summary);
  assert.equal(new Set(main.map(({ responses }) => responses[0].chat_id)).size, 1, `the run used more than one Qwen chat:\n${summary}`);
});
