// Qwen Code (@qwen-code/qwen-code): `qwen -p`, headless, tools approved with
// --yolo, the proxy as its OpenAI provider through the environment. It
// declares Node >= 22 and runs on Node 20.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentBin, assertAgentRoundTrip, assertEnded, describeCalls, recordedCalls, runAgent, startKeyedProxy, toolCount } from '../harness.mjs';

// The settings the README gives: OpenAI auth, no telemetry, no update
// checks, images handed on to the model.
const settings = {
  security: { auth: { selectedType: 'openai' } },
  privacy: { usageStatisticsEnabled: false },
  telemetry: { enabled: false },
  general: { enableAutoUpdate: false },
  model: { generationConfig: { modalities: { image: true } } },
};

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
      '.qwen/settings.json': settings,
    },
    env: {
      OPENAI_BASE_URL: proxy.baseURL,
      OPENAI_API_KEY: proxy.key,
      OPENAI_MODEL: 'qwen3-coder-plus',
      QWEN_CODE_SUPPRESS_YOLO_WARNING: '1',
    },
  });
  await assertAgentRoundTrip(t, proxy, run, { tool: 'write_file', file: 'hello.txt', content: 'hello from qwen code', clientSession: null });
  // The settings as Qwen Code keeps them once it has loaded them (it stamps
  // its schema's $version on the file): update checks off in the key it
  // reads, general.enableAutoUpdate. The README gave general.disableAutoUpdate
  // and disableUpdateNag, keys of its version-2 schema that it neither reads
  // nor migrates in a file without $version, so update checks stayed on.
  const kept = JSON.parse(readFileSync(join(run.home, '.qwen', 'settings.json'), 'utf8'));
  assert.equal(kept.general?.enableAutoUpdate, false, `update checks are on in the settings Qwen Code kept: ${JSON.stringify(kept)}`);
  assert.equal(kept.privacy?.usageStatisticsEnabled, false);
  assert.equal(kept.telemetry?.enabled, false);
  assert.equal(kept.security?.auth?.selectedType, 'openai');
});

// A run's root (see runAgent) whose working directory is a git repository
// with one commit.
function gitRoot() {
  const root = mkdtempSync(join(tmpdir(), 'qwenproxy-agent-'));
  const work = join(root, 'work');
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, 'README.md'), '# app\n');
  const git = (...args) => execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.invalid', ...args], { cwd: work, stdio: 'ignore' });
  git('init', '-q');
  git('add', 'README.md');
  git('commit', '-q', '-m', 'first');
  return root;
}

// `qwen --continue` resends the conversation with its startup context made
// afresh (the working directory's listing now shows the file the first run
// wrote; the date reminder moves to the new turn), and in a git repository
// with another system prompt (it ends with `git status`, which now lists
// that file): the resumed run goes on in the conversation's session and
// Qwen chat, telling Qwen only its new turn (and the changed system
// prompt), rather than opening a session per run and replaying everything.
test('Qwen Code resumed with --continue in a git repository goes on in its session', async (t) => {
  const proxy = await startKeyedProxy();
  t.after(() => proxy.stop());
  const env = { OPENAI_BASE_URL: proxy.baseURL, OPENAI_API_KEY: proxy.key, OPENAI_MODEL: 'qwen3-coder-plus', QWEN_CODE_SUPPRESS_YOLO_WARNING: '1' };
  const first = await runAgent({
    root: gitRoot(),
    command: agentBin('qwen'),
    args: (work) => ['-p', `use write_file with ${JSON.stringify({ file_path: join(work, 'app.py'), content: 'print(1)\n' })}`, '--yolo'],
    files: { '.qwen/settings.json': settings },
    env,
  });
  assertEnded(first);
  const resumed = await runAgent({
    root: first.root,
    command: agentBin('qwen'),
    args: (work) => ['--continue', '-p', `use read_file with ${JSON.stringify({ file_path: join(work, 'app.py') })}`, '--yolo'],
    env,
  });
  assertEnded(resumed);
  assert.match(resumed.stdout, /^Thanks: read_file said/m);
  const calls = await recordedCalls(proxy);
  for (const line of describeCalls(calls)) t.diagnostic(line);
  const main = calls.filter(({ request }) => toolCount(request.openai_request) > 0);
  assert.ok(main.length >= 4, `${main.length} calls of the main thread`);
  const sessions = new Set(main.map(({ request }) => request.session_id));
  assert.equal(sessions.size, 1, `the conversation ran in ${sessions.size} sessions: ${[...sessions].join(' ')}`);
  const chats = new Set(main.map(({ responses }) => responses[0].chat_id));
  assert.equal(chats.size, 1, `the conversation ran in ${chats.size} Qwen chats`);
  // The case itself: the two runs' system prompts differ in their status.
  const systems = new Set(main.map(({ request }) => JSON.stringify(request.openai_request.messages.find((m) => m.role === 'system'))));
  assert.ok(systems.size > 1, 'the runs sent one system prompt: the repository\'s status did not change it');
});

// An 8×8 red PNG in the working directory.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEklEQVR4nGP4z8CAFWEXHbQSACj/P8Fu7N9hAAAAAElFTkSuQmCC', 'base64');

// Qwen Code's read_file hands an image on to the model only when the model
// takes images, which it decides by the model's name: qwen3-coder-plus is
// text-only in its table, and the tool answered "This model does not
// support image input" in the image's place. With the README's settings
// (model.generationConfig.modalities) the image reaches Qwen with the tool's
// result, and the model says what it sees.
test('Qwen Code passes an image its read_file opens to the model through the proxy', async (t) => {
  const proxy = await startKeyedProxy();
  t.after(() => proxy.stop());
  const run = await runAgent({
    command: agentBin('qwen'),
    args: (work) => {
      writeFileSync(join(work, 'shot.png'), PNG);
      return ['-p', `use read_file with ${JSON.stringify({ file_path: join(work, 'shot.png') })}`, '--yolo'];
    },
    files: { '.qwen/settings.json': settings },
    env: { OPENAI_BASE_URL: proxy.baseURL, OPENAI_API_KEY: proxy.key, OPENAI_MODEL: 'qwen3-coder-plus', QWEN_CODE_SUPPRESS_YOLO_WARNING: '1' },
  });
  assertEnded(run);
  assert.doesNotMatch(run.stdout, /does not support image input/);
  assert.match(run.stdout, /^Thanks: read_file said .*I see 1 image: [^ ]+ \(\d+ bytes, image\/(png|jpeg)\)/m);
});
