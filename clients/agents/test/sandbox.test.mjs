// The agents run where nothing they try can leave the machine: scripts/agents
// puts these tests in a network namespace with only loopback. This checks
// that it did, so an agent test never passes while talking to the internet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';

test('only loopback is reachable', async () => {
  assert.deepEqual(Object.keys(networkInterfaces()), ['lo']);
  const err = await new Promise((resolve) => {
    const socket = connect({ host: '1.1.1.1', port: 443, timeout: 5000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(null);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(new Error('timeout'));
    });
    socket.once('error', resolve);
  });
  assert.equal(err?.code, 'ENETUNREACH', `connecting to 1.1.1.1: ${err?.message ?? 'connected'}`);
});
