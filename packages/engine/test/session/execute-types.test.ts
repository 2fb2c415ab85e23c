import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withBoundTypes } from '../../src/session/execute-types.js';

/** COM_STMT_EXECUTE of statement 5 with two parameters (no NULLs), values as given. */
function execute(bound: Buffer | undefined, values: Buffer): Buffer {
  const head = Buffer.from([0x17, 5, 0, 0, 0, 0, 1, 0, 0, 0, 0x00]);
  const flag = Buffer.from([bound === undefined ? 0 : 1]);
  return Buffer.concat([head, flag, bound ?? Buffer.alloc(0), values]);
}

const TYPES = Buffer.from([0x03, 0x00, 0xfd, 0x00]); // LONG, VAR_STRING
const VALUES = Buffer.concat([Buffer.from([7, 0, 0, 0]), Buffer.from([2]), Buffer.from('hi')]);

test('an execute that leaves its types to the server gets the types bound before its values', () => {
  const rewritten = withBoundTypes(execute(undefined, VALUES), TYPES);
  assert.deepEqual(rewritten, execute(TYPES, VALUES));
});

test('an execute that binds types itself, or has no parameters, or is cut short, is left alone', () => {
  assert.equal(withBoundTypes(execute(TYPES, VALUES), TYPES), undefined);
  assert.equal(withBoundTypes(execute(undefined, VALUES), Buffer.alloc(0)), undefined);
  assert.equal(withBoundTypes(Buffer.from([0x17, 5, 0, 0, 0, 0, 1, 0, 0]), TYPES), undefined);
});
