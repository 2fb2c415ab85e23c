import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { createLogger, createSessionLogger } from '../src/index.js';

function lines(stream: PassThrough): Record<string, unknown>[] {
  const text = (stream.read() as Buffer | null)?.toString() ?? '';
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const { time: _time, ...rest } = JSON.parse(line) as Record<string, unknown>;
      return rest;
    });
}

test('a session logger writes the same lines as a pino child with the same bindings (its bindings are only flattened)', () => {
  const out = new PassThrough();
  const root = createLogger({ level: 'debug', destination: out }).child({ component: 'mysql' });
  const bindings = { sessionId: 'f00', user: 'ålice "q"', db: 'orders', tlsResumed: false, port: 3306 };
  root.child(bindings).info({ n: 1 }, 'session started');
  const session = createSessionLogger(root, bindings);
  session.info({ n: 1 }, 'session started');
  createSessionLogger(session, { engineId: 'e2' }).warn('moved');
  root.child(bindings).child({ engineId: 'e2' }).warn('moved');
  const [child, flat, movedFlat, movedChild] = lines(out);
  assert.deepEqual(flat, child);
  assert.deepEqual(movedFlat, movedChild);
  assert.equal(flat?.user, 'ålice "q"');
  assert.deepEqual(session.bindings(), { component: 'mysql', ...bindings });
});
