import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { guardEmitter } from '../src/index.js';

test('a listener that throws goes to onError, and the emit still reaches the other listeners before it', () => {
  const emitter = new EventEmitter();
  const errors: unknown[] = [];
  const seen: string[] = [];
  guardEmitter(emitter, (err) => errors.push(err));
  emitter.on('data', (chunk: string) => seen.push(`first ${chunk}`));
  emitter.on('data', () => {
    throw new Error('listener bug');
  });
  assert.equal(emitter.emit('data', 'x'), true);
  assert.deepEqual(seen, ['first x']);
  assert.equal(errors.length, 1);
  assert.match((errors[0] as Error).message, /listener bug/);
});

test('an unguarded emitter next to a guarded one still throws: the boundary is per connection', () => {
  const guarded = new EventEmitter();
  const other = new EventEmitter();
  guardEmitter(guarded, () => {});
  for (const e of [guarded, other]) {
    e.on('tick', () => {
      throw new Error('bug');
    });
  }
  assert.doesNotThrow(() => guarded.emit('tick'));
  assert.throws(() => other.emit('tick'), /bug/);
});

test('every arity reaches the listener unchanged, and an error event without a listener is caught', () => {
  const emitter = new EventEmitter();
  const errors: unknown[] = [];
  guardEmitter(emitter, (err) => errors.push(err));
  const got: unknown[][] = [];
  emitter.on('e', (...args: unknown[]) => got.push(args));
  emitter.emit('e');
  emitter.emit('e', 1);
  emitter.emit('e', 1, 2);
  emitter.emit('e', 1, 2, 3, 4);
  assert.deepEqual(got, [[], [1], [1, 2], [1, 2, 3, 4]]);
  emitter.emit('error', new Error('nobody listens'));
  assert.equal(errors.length, 1);
  assert.match((errors[0] as Error).message, /nobody listens/);
});

test('a stream whose data listener throws is ended by onError, once, and the process goes on', async () => {
  const stream = new PassThrough();
  let calls = 0;
  guardEmitter(stream, () => {
    calls++;
    stream.destroy();
  });
  stream.on('data', () => {
    throw new Error('data handler bug');
  });
  const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
  stream.write('a');
  await closed;
  assert.equal(calls, 1);
  assert.equal(stream.destroyed, true);
});
