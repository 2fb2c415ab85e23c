import assert from 'node:assert/strict';
import { test } from 'node:test';
import { boundUtf8, DEFAULT_QUERY_LIMIT, prepareAuditQuery } from '../../src/audit/index.js';

test('short text is kept whole with its byte length', () => {
  assert.deepEqual(boundUtf8('SELECT é'), { text: 'SELECT é', length: 9, truncated: false });
  assert.deepEqual(boundUtf8(Buffer.from('SELECT é')), { text: 'SELECT é', length: 9, truncated: false });
});

test('long text is cut on a UTF-8 boundary at or under the limit, for strings and bytes', () => {
  const text = `${'a'.repeat(9)}${'é'.repeat(10)}\u{1F600}`; // 9 + 20 + 4 bytes
  for (let limit = 0; limit <= 33; limit++) {
    for (const input of [text, Buffer.from(text)]) {
      const b = boundUtf8(input, limit);
      assert.equal(b.length, 33);
      assert.ok(Buffer.byteLength(b.text) <= limit, `limit ${limit}`);
      assert.ok(text.startsWith(b.text), `limit ${limit}: a prefix, no replacement characters`);
      assert.ok(Buffer.byteLength(b.text) >= limit - 3, `limit ${limit}: cut at the nearest boundary`);
      assert.equal(b.truncated, limit < 33);
    }
  }
});

test('invalid UTF-8 bytes stay within the limit after decoding', () => {
  const bytes = Buffer.alloc(100, 0xff);
  const b = boundUtf8(bytes, 50);
  assert.ok(Buffer.byteLength(b.text) <= 50);
  assert.equal(b.length, 100);
  assert.equal(b.truncated, true);
});

test('the default bound is 64 KiB and the full length is recorded', () => {
  const q = prepareAuditQuery(`SELECT '${'x'.repeat(100_000)}'`);
  assert.equal(DEFAULT_QUERY_LIMIT, 65_536);
  assert.equal(Buffer.byteLength(q.query), 65_536);
  assert.equal(q.query_length, 100_009);
  assert.equal(q.query_truncated, true);
});

test('redaction happens before the cut, so a secret past the limit cannot reappear', () => {
  const sql = `CREATE USER bob IDENTIFIED BY '${'s'.repeat(200)}'`;
  const q = prepareAuditQuery(sql, 40);
  assert.equal(q.query, "CREATE USER bob IDENTIFIED BY '***'");
  assert.equal(q.query_truncated, false);
  assert.equal(q.query_length, sql.length);
});
