// Runs one real coding agent against qwenproxy serve --mock-upstream, as a
// user would: its own configuration files in a fresh HOME, a fresh working
// directory, a bounded run, and then the calls the proxy recorded.
//
// scripts/agents runs these tests inside a network namespace that has only
// loopback, so nothing an agent tries (update checks, telemetry, model
// catalogues, plugin downloads) reaches beyond the machine.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import assert from 'node:assert/strict';
import { startProxy } from '../proxy.mjs';

/**
 * Starts the proxy with a proxy API key required on every route, as a shared
 * deployment would run it, so each agent is seen to send the key the way the
 * README configures it. Resolves {baseURL, key, stop}.
 */
export async function startKeyedProxy() {
  const key = `sk-agents-${randomBytes(12).toString('hex')}`;
  // SQLite in a fresh directory even where DATABASE_URL is set: the
  // namespace's loopback reaches no database server.
  // RECORDER_SYNC: every answered call is in the history the moment it is
  // answered, so the checks that read it after the agent exits see them all
  // (by default the writer waits up to RECORDER_LINGER, 500 ms, to batch a commit).
  const proxy = await startProxy({ env: { API_KEYS: key, DATABASE_URL: '', RECORDER_SYNC: 'true' } });
  return { ...proxy, key };
}

// How long one agent may take, start to end, before it is killed and the test
// fails: each finishes in seconds when it works; a loop must not eat the CI.
export const RUN_TIMEOUT_MS = Number(process.env.AGENT_TIMEOUT_MS || 120_000);

// The bound on an agent's calls for one tool round trip (the main thread's
// two or three, plus side calls such as titles): far more means a loop.
const MAX_CALLS = 12;

const OUTPUT_LIMIT = 1 << 20; // bytes of stdout/stderr kept per run

/** Path of an installed agent's executable (scripts/agents sets AGENTS_BIN). */
export function agentBin(name) {
  const dir = process.env.AGENTS_BIN;
  if (!dir) throw new Error('AGENTS_BIN must name the agents\' node_modules/.bin (scripts/agents sets it)');
  return join(dir, name);
}

/**
 * Runs an agent once in a fresh working directory. args and input (its
 * standard input) may be functions of that directory's path, since the agents'
 * file tools want absolute paths. files maps paths under the fresh HOME to
 * their contents (objects are written as JSON); env is added to a minimal
 * environment (PATH, HOME, no inherited keys). root, an earlier run's, runs
 * the agent again in that run's HOME and working directory (to resume its
 * conversation). interruptWhen, a function of the working directory's path,
 * is checked every 50 ms: once it is true, the agent gets SIGINT, as a user's
 * Ctrl-C. Resolves {code, signal, stdout, stderr, timedOut, interrupted, root, home, work}; the
 * agent and everything it started are killed at RUN_TIMEOUT_MS.
 */
export async function runAgent({ command, args = [], input, env = {}, files = {}, interruptWhen, root = mkdtempSync(join(tmpdir(), 'qwenproxy-agent-')) }) {
  const home = join(root, 'home');
  const work = join(root, 'work');
  mkdirSync(work, { recursive: true });
  for (const [path, content] of Object.entries(files)) {
    const full = join(home, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  }
  if (typeof args === 'function') args = args(work);
  if (typeof input === 'function') input = input(work);
  const child = spawn(command, args, {
    cwd: work,
    detached: true, // its own process group, killed whole on timeout
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      HOME: home,
      TMPDIR: root,
      LANG: 'C.UTF-8',
      TERM: 'dumb',
      NO_COLOR: '1',
      CI: '1',
      ...env,
    },
  });
  if (input !== undefined) child.stdin.end(input);
  const out = collect(child.stdout);
  const err = collect(child.stderr);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child.pid);
  }, RUN_TIMEOUT_MS);
  let interrupted = false;
  const watch = interruptWhen
    ? setInterval(() => {
        if (interrupted || !interruptWhen(work)) return;
        interrupted = true;
        killGroup(child.pid, 'SIGINT');
      }, 50)
    : undefined;
  const [code, signal] = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c, s) => resolve([c, s]));
  });
  clearTimeout(timer);
  clearInterval(watch);
  killGroup(child.pid); // what it left running in the background
  return { code, signal, stdout: out(), stderr: err(), timedOut, interrupted, root, home, work };
}

function killGroup(pid, signal = 'SIGKILL') {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function collect(stream) {
  const chunks = [];
  let size = 0;
  stream.on('data', (b) => {
    chunks.push(b);
    size += b.length;
    while (size > OUTPUT_LIMIT && chunks.length > 1) size -= chunks.shift().length;
  });
  return () => Buffer.concat(chunks).toString('utf8');
}

/**
 * The configuration OpenCode (opencode.json) and its fork Kilo (kilo.json)
 * take, as the README gives it: the proxy as an OpenAI-compatible provider
 * (the package ships inside both), no update checks, no sharing, tools
 * allowed without asking, images taken; extra adds to it.
 */
export function opencodeConfig(schema, { baseURL, key }, extra = {}) {
  return {
    $schema: schema,
    provider: {
      qwenproxy: {
        npm: '@ai-sdk/openai-compatible',
        name: 'qwenproxy',
        options: { baseURL, apiKey: key },
        models: {
          'qwen3-coder-plus': {
            name: 'Qwen3 Coder Plus',
            tool_call: true,
            // Qwen's models see images: without this OpenCode and Kilo drop
            // an attached one ("this model does not support image input").
            modalities: { input: ['text', 'image'], output: ['text'] },
          },
        },
      },
    },
    model: 'qwenproxy/qwen3-coder-plus',
    small_model: 'qwenproxy/qwen3-coder-plus',
    autoupdate: false,
    share: 'disabled',
    permission: { edit: 'allow', bash: 'allow' },
    ...extra,
  };
}

/**
 * Everything an agent's run must show: it ended by itself; its tool left
 * `content` in `file` (relative to its working directory); it printed the
 * simulator's acknowledgement of the result; and the proxy recorded the round
 * trip (assertRoundTrip), every call on `path` when given.
 */
export async function assertAgentRoundTrip(t, proxy, run, { tool, file, content, path, clientSession }) {
  assertEnded(run);
  assert.equal(readFileSync(join(run.work, file), 'utf8'), content);
  assert.match(run.stdout, acknowledges(tool));
  const calls = await recordedCalls(proxy);
  for (const line of describeCalls(calls)) t.diagnostic(line);
  if (path) {
    const paths = calls.map(({ request }) => request.path);
    assert.ok(paths.every((p) => p === path), `calls off ${path}: ${paths.join(' ')}`);
  }
  assertRoundTrip(calls, { tool });
  if (clientSession !== undefined) await assertClientSession(proxy, calls, clientSession);
}

/**
 * Checks the agent's own conversation id the proxy recorded with each call
 * (client_session_id): with a pattern, one id of that form on every call,
 * by which the history's filter lists them all; with null, none (an agent
 * that sends no id of its own).
 */
export async function assertClientSession({ baseURL, key }, calls, pattern) {
  const ids = [...new Set(calls.map(({ request }) => request.client_session_id))];
  if (pattern === null) {
    assert.deepEqual(ids, [null], `recorded with a client session id: ${ids.join(' ')}`);
    return;
  }
  assert.equal(ids.length, 1, `several client session ids: ${ids.join(' ')}`);
  assert.match(String(ids[0]), pattern);
  const res = await fetch(`${baseURL}/requests?client_session_id=${encodeURIComponent(ids[0])}`, { headers: { authorization: `Bearer ${key}` } });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).total, calls.length, `the filter by ${ids[0]} does not list every call`);
}

/** Asserts the agent ended by itself, successfully, within the bound. */
export function assertEnded(run) {
  const tail = (s) => s.slice(-2000);
  assert.ok(!run.timedOut, `killed after ${RUN_TIMEOUT_MS} ms; stdout: ${tail(run.stdout)}\nstderr: ${tail(run.stderr)}`);
  assert.equal(run.code, 0, `exit ${run.code} (${run.signal}); stdout: ${tail(run.stdout)}\nstderr: ${tail(run.stderr)}`);
}

/**
 * The calls the proxy recorded, oldest first, from the history API: each
 * request with its body and the response row that belongs to it.
 */
export async function recordedCalls({ baseURL, key }) {
  const get = async (path) => {
    const res = await fetch(`${baseURL}${path}`, { headers: { authorization: `Bearer ${key}` } });
    const text = await res.text();
    assert.equal(res.status, 200, `GET ${path}: ${res.status} ${text}`);
    return JSON.parse(text);
  };
  const requests = (await get('/requests?limit=1000&include=bodies')).data.sort((a, b) => a.id - b.id);
  const responses = (await get('/responses?limit=1000&include=bodies')).data;
  return requests.map((request) => ({
    request,
    responses: responses.filter((r) => r.request_id === request.id),
  }));
}

/**
 * Checks what the proxy recorded for one tool round trip: every call has
 * exactly one response row, succeeded and was made with the proxy key; there are few calls (no loop); the
 * calls that declared tools (the agent's main thread, as opposed to side calls
 * such as titles) all ran in one Qwen chat; one of them was answered with a
 * call of `tool`, and a later one carried its result back and got the final
 * answer. Bodies may be Chat Completions, Anthropic Messages or Responses
 * shapes. Returns the main thread's calls.
 */
function assertRoundTrip(calls, { tool }) {
  const summary = describeCalls(calls).join('\n');
  assert.ok(calls.length >= 2 && calls.length <= MAX_CALLS, `${calls.length} calls recorded:\n${summary}`);
  for (const { request, responses } of calls) {
    assert.equal(responses.length, 1, `request #${request.id} has ${responses.length} response rows:\n${summary}`);
    assert.equal(responses[0].status, 'success', `request #${request.id} failed: ${responses[0].error}\n${summary}`);
    assert.ok(request.api_key_id, `request #${request.id} was made without the proxy key`);
  }
  const main = calls.filter(({ request }) => toolCount(request.openai_request) > 0);
  const chats = new Set(main.map(({ responses }) => responses[0].chat_id));
  assert.equal(chats.size, 1, `the main thread ran in ${chats.size} Qwen chats:\n${summary}`);
  const asked = main.findIndex(({ responses }) => toolCallsOf(responses[0].openai_response).includes(tool));
  assert.ok(asked >= 0, `no answer called ${tool}:\n${summary}`);
  const back = main.slice(asked + 1).find(({ request }) => carriesToolResult(request.openai_request));
  assert.ok(back, `no later call carried the ${tool} result back:\n${summary}`);
  const answer = textOf(back.responses[0].openai_response);
  assert.match(answer, acknowledges(tool), `the result was not acknowledged: ${answer}`);
  return main;
}

/**
 * Matches the simulator's final answer once a tool's result came back: it
 * acknowledges every result of the turn ("Thanks: NAME said …, OTHER said …";
 * an agent's own reminders may name a second tool the simulator calls too).
 */
function acknowledges(tool) {
  return new RegExp(`^Thanks: .*\\b${tool} said`, 'm');
}

/** One line per recorded call, for the test's diagnostics. */
export function describeCalls(calls) {
  return calls.map(
    ({ request, responses }) =>
      `#${request.id} ${request.path} ${request.model} tools=${toolCount(request.openai_request)} → ` +
      responses.map((r) => `${r.http_status} ${r.finish_reason} chat=${r.chat_id}`).join(', '),
  );
}

export function toolCount(body) {
  return Array.isArray(body?.tools) ? body.tools.length : 0;
}

/**
 * Names of the tools an answer calls: Chat Completions, Anthropic Messages or
 * Responses (function and custom tools alike).
 */
function toolCallsOf(body) {
  const names = [];
  for (const choice of body?.choices ?? []) {
    for (const call of choice.message?.tool_calls ?? []) names.push(call.function?.name ?? call.custom?.name);
  }
  if (Array.isArray(body?.content)) {
    for (const block of body.content) if (block.type === 'tool_use') names.push(block.name);
  }
  for (const item of body?.output ?? []) if (item.type === 'function_call' || item.type === 'custom_tool_call') names.push(item.name);
  return names;
}

/** The text of an answer, in any of the three shapes. */
function textOf(body) {
  const parts = [];
  for (const choice of body?.choices ?? []) if (typeof choice.message?.content === 'string') parts.push(choice.message.content);
  if (Array.isArray(body?.content)) {
    for (const block of body.content) if (block.type === 'text') parts.push(block.text);
  }
  for (const item of body?.output ?? []) {
    for (const part of item.type === 'message' ? item.content ?? [] : []) if (part.type === 'output_text') parts.push(part.text);
  }
  return parts.join('');
}

/** Whether a request hands a tool's result back, in any of the three shapes. */
function carriesToolResult(body) {
  const messages = body?.messages ?? [];
  if (messages.some((m) => m.role === 'tool')) return true;
  if (messages.some((m) => Array.isArray(m.content) && m.content.some((b) => b.type === 'tool_result'))) return true;
  return Array.isArray(body?.input) && body.input.some((item) => item.type === 'function_call_output' || item.type === 'custom_tool_call_output');
}
