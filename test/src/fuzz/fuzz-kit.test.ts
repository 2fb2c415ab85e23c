// The fuzz kit itself: a decoder that throws anything but its own error fails, with the seed
// and the bytes in the message.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MysqlProtocolError } from '@gatehouse/mysql-protocol';
import fc from 'fast-check';
import { FUZZ_SEED, fuzzDecoder } from './fuzz-kit.js';

test('fuzzDecoder fails on a foreign exception and prints the seed and the bytes', () => {
  assert.throws(
    () =>
      fuzzDecoder(
        fc.uint8Array({ minLength: 1, maxLength: 4 }),
        (b) => {
          if (b[0]! > 10) throw new RangeError('out of range');
          throw new MysqlProtocolError('fine');
        },
        [MysqlProtocolError],
      ),
    (err: Error) => {
      assert.match(err.message, new RegExp(`seed ${FUZZ_SEED}`));
      assert.match(err.message, /input \(hex\): [0-9a-f]{2}/);
      assert.match(err.message, /RangeError: out of range/);
      return true;
    },
  );
});
