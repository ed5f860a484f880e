// Starts the real qwenproxy binary in front of its built-in simulator, on a
// free loopback port and a fresh database, as a user would run it.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import readline from 'node:readline';

// env adds settings (e.g. API keys) to the proxy's environment.
export async function startProxy({ env = {} } = {}) {
  const bin = process.env.QWENPROXY_BIN;
  if (!bin) {
    throw new Error('QWENPROXY_BIN must name a built qwenproxy binary (scripts/test builds one)');
  }
  const dir = mkdtempSync(join(tmpdir(), 'qwenproxy-clients-'));
  const database = join(dir, 'qwenproxy.db');
  const child = spawn(bin, ['serve', '--mock-upstream', '--port', '0', '--database-path', database], {
    env: { ...process.env, LOG_FORMAT: 'json', QWEN_TOKEN: '', QWEN_COOKIES: '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const lines = readline.createInterface({ input: child.stderr });
  // sim is the built-in simulator's address (its log line at start), where
  // a test injects Qwen's faults (POST /__sim/faults).
  let sim = '';
  const addr = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('qwenproxy did not start within 15 s')), 15000);
    child.once('exit', (code) => reject(new Error(`qwenproxy exited with ${code}`)));
    lines.on('line', (line) => {
      let entry;
      try {
        entry = JSON.parse(line);
      } catch {
        return;
      }
      if (entry.msg === 'using the built-in Qwen simulator') sim = entry.url;
      if (entry.msg === 'listening') {
        clearTimeout(timer);
        resolve(entry.addr);
      }
    });
  });
  return {
    baseURL: `http://${addr}/v1`,
    root: `http://${addr}`,
    sim,
    database, // the SQLite file, for a test that takes it away
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}
