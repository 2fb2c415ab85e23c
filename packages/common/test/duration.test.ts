import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, parseDuration } from '../src/duration.js';

const cases: Array<[string, number]> = [
  ['90s', 90_000],
  ['30m', 1_800_000],
  ['8h', 28_800_000],
  ['1h30m', 5_400_000],
  ['250ms', 250],
  ['2d', 172_800_000],
  ['15', 15_000],
  ['1.5h', 5_400_000],
];
for (const [text, ms] of cases) {
  test(`parseDuration('${text}') is ${ms} ms`, () => assert.equal(parseDuration(text), ms));
}

for (const bad of ['', 'h', '10x', '1h 30m', '-5s', 'abc']) {
  test(`parseDuration rejects '${bad}' with GH_ERR_CONFIG`, () => {
    assert.throws(() => parseDuration(bad), { code: 'GH_ERR_CONFIG' });
  });
}

test('formatDuration round-trips through parseDuration', () => {
  for (const ms of [1, 999, 1_000, 61_000, 5_400_000, 90_061_001]) {
    assert.equal(parseDuration(formatDuration(ms)), ms);
  }
});
