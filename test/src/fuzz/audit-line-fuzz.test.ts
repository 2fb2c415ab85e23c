// Fuzz: reading an audit log line back (the hash-chain record, then the event in it) on random
// and damaged lines. parseRecordLine answers undefined for what is not a record; parseAuditEvent
// throws only InvalidAuditEventError. See fuzz-kit.ts.
import { test } from 'node:test';
import { parseRecordLine } from '@gatehouse/auth';
import { InvalidAuditEventError, parseAuditEvent } from '@gatehouse/common';
import fc from 'fast-check';
import { bytesNear, FUZZ_RUNS, fuzzDecoder } from './fuzz-kit.js';

const EVENT = {
  uid: '0c1e6e1e-52f5-4b7e-9d8b-0f6d3c1c2a11',
  time: '2026-12-07T00:00:00.000Z',
  type: 'db.session.query',
  code: 'TDB02I',
  success: true,
  sid: 's1',
  user: 'alice',
  db_service: 'mariadb',
  db_query: 'SELECT 1',
};
const LINE = `{"seq":1,"prev":"${'0'.repeat(64)}","hash":"${'a'.repeat(64)}","event":${JSON.stringify(EVENT)}}`;

test(`fuzz: audit line parsing on ${FUZZ_RUNS} damaged lines raises only InvalidAuditEventError`, () => {
  const lines = fc.oneof(
    bytesNear([Buffer.from(LINE)], 400).map((b) => b.toString('utf8')),
    fc.string({ maxLength: 200 }),
    fc.json().map((j) => `{"seq":1,"prev":"${'0'.repeat(64)}","hash":"${'a'.repeat(64)}","event":${j}}`),
  );
  fuzzDecoder(
    lines,
    (text) => {
      const record = parseRecordLine(text);
      if (record) parseAuditEvent(record.event);
    },
    [InvalidAuditEventError],
  );
});
