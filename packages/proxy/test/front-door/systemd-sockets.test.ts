import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pickMysqlSocket, readActivatedSockets } from '../../src/front-door/systemd-sockets.js';

test('reads LISTEN_FDS from fd 3 with their names, only when LISTEN_PID is this process', () => {
  const env = { LISTEN_PID: '42', LISTEN_FDS: '2', LISTEN_FDNAMES: 'web:mysql' };
  assert.deepEqual(readActivatedSockets(env, 42), [
    { fd: 3, name: 'web' },
    { fd: 4, name: 'mysql' },
  ]);
  assert.deepEqual(readActivatedSockets(env, 43), [], 'descriptors meant for another process');
  assert.deepEqual(readActivatedSockets({ LISTEN_FDS: '1' }, 42), []);
  assert.deepEqual(readActivatedSockets({ LISTEN_PID: '42', LISTEN_FDS: 'x' }, 42), []);
  assert.deepEqual(readActivatedSockets({ LISTEN_PID: '42', LISTEN_FDS: '0' }, 42), []);
  assert.deepEqual(readActivatedSockets({ LISTEN_PID: '42', LISTEN_FDS: '1' }, 42), [{ fd: 3, name: 'unknown' }]);
});

test('the MySQL socket is the one named mysql, else the only one', () => {
  assert.deepEqual(
    pickMysqlSocket([
      { fd: 3, name: 'web' },
      { fd: 4, name: 'mysql' },
    ]),
    { fd: 4, name: 'mysql' },
  );
  assert.deepEqual(pickMysqlSocket([{ fd: 3, name: 'unknown' }]), { fd: 3, name: 'unknown' });
  assert.equal(
    pickMysqlSocket([
      { fd: 3, name: 'a' },
      { fd: 4, name: 'b' },
    ]),
    undefined,
  );
  assert.equal(pickMysqlSocket([]), undefined);
});
