import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeAuditEvent } from '@gatehouse/testing';
import { csvField, toCsv, toJsonl } from '../../src/web/audit-export.js';

test('CSV fields are quoted per RFC 4180 and formulas are defused', () => {
  assert.equal(csvField('plain'), 'plain');
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('two\nlines'), '"two\nlines"');
  assert.equal(csvField('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
  assert.equal(csvField('-1'), "'-1");
  assert.equal(csvField(undefined), '');
  assert.equal(csvField(12.5), '12.5');
  assert.equal(csvField({ kind: 'rows', rows: 2 }), '"{""kind"":""rows"",""rows"":2}"');
});

test('an export holds one row per event, with the fields a reader wants first', () => {
  const events = [
    makeAuditEvent('db.session.query', { query: "SELECT '<script>', 1" }),
    makeAuditEvent('db.session.mysql.statements.execute', { parameters: [1, 'x'] }),
  ];
  const lines = toCsv(events).split('\r\n');
  assert.equal(lines.length, 4);
  assert.match(lines[0]!, /^time,event,code,sid,user,/);
  assert.ok(lines[1]!.includes(`"SELECT '<script>', 1"`));
  assert.ok(lines[2]!.includes('parameters'));
  assert.deepEqual(
    toJsonl(events)
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l)),
    events,
  );
});
