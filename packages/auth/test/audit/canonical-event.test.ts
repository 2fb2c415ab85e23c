import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AUDIT_EVENT_TYPES, type AuditEvent, createAudit, isGatehouseError } from '@gatehouse/common';
import { createSeededRandom, makeAuditEvent, type SeededRandom } from '@gatehouse/testing';
import { canonicalEventJson, canonicalJson } from '../../src/index.js';

// Characters that exercise JSON escaping and UTF-16 ordering: quotes, backslashes, controls,
// non-ASCII, astral pairs and lone surrogates.
const ALPHABET = [
  'a',
  'Z',
  '0',
  ' ',
  '"',
  '\\',
  '\n',
  '\u0001',
  '\u007f',
  'é',
  '€',
  '😀',
  '\ud800',
  '\udfff',
  '_',
  'k',
];

function randomString(r: SeededRandom, max = 12): string {
  let s = '';
  for (let n = r.int(max + 1); n > 0; n--) s += ALPHABET[r.int(ALPHABET.length)];
  return s;
}

function randomNumber(r: SeededRandom): number {
  switch (r.int(6)) {
    case 0:
      return r.int(1000);
    case 1:
      return -0;
    case 2:
      return (r.next() - 0.5) * 10 ** (r.int(50) - 25);
    case 3:
      return 2 ** 53 + r.int(1000);
    case 4:
      return 1e21 * r.next();
    default:
      return Math.round(r.next() * 1e6) / 1000;
  }
}

function randomJson(r: SeededRandom, depth: number): unknown {
  switch (r.int(depth > 2 ? 4 : 6)) {
    case 0:
      return randomString(r);
    case 1:
      return randomNumber(r);
    case 2:
      return r.next() < 0.5;
    case 3:
      return null;
    case 4:
      return Array.from({ length: r.int(4) }, () => randomJson(r, depth + 1));
    default:
      return shuffled(
        r,
        Object.fromEntries(Array.from({ length: r.int(4) }, () => [randomString(r, 4), randomJson(r, depth + 1)])),
      );
  }
}

/** The same object with its keys inserted in a random order. */
function shuffled<T extends object>(r: SeededRandom, obj: T): T {
  const entries = Object.entries(obj);
  for (let i = entries.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [entries[i], entries[j]] = [entries[j]!, entries[i]!];
  }
  return Object.fromEntries(entries) as T;
}

function randomOutcome(r: SeededRandom): Record<string, unknown> {
  switch (r.int(3)) {
    case 0:
      return {
        kind: 'ok',
        affected_rows: r.int(100),
        ...(r.next() < 0.5 ? { last_insert_id: r.int(1e9) } : {}),
        ...(r.next() < 0.5 ? { warnings: r.int(3) } : {}),
      };
    case 1:
      return { kind: 'rows', rows: r.int(1e6), ...(r.next() < 0.5 ? { warnings: r.int(3) } : {}) };
    default:
      return {
        kind: 'error',
        errno: r.int(65536),
        ...(r.next() < 0.5 ? { sqlstate: '42000' } : {}),
        message: randomString(r, 40),
      };
  }
}

function randomEvent(r: SeededRandom): Record<string, unknown> {
  const type = AUDIT_EVENT_TYPES[r.int(AUDIT_EVENT_TYPES.length)]!;
  const event = makeAuditEvent(type) as unknown as Record<string, unknown>;
  for (const key of ['user', 'db_name', 'client_addr', 'sid', 'query', 'reason', 'file_name', 'schema_name']) {
    if (key in event && r.next() < 0.7) event[key] = randomString(r, 30);
  }
  if ('outcome' in event || r.next() < 0.3) event.outcome = shuffled(r, randomOutcome(r));
  if ('duration_ms' in event || r.next() < 0.3) event.duration_ms = randomNumber(r);
  if (r.next() < 0.2)
    event.error = shuffled(r, {
      message: randomString(r),
      ...(r.next() < 0.5 ? { errno: r.int(65536) } : {}),
      ...(r.next() < 0.5 ? { code: 'GH_ERR_X' } : {}),
    });
  if ('parameters' in event) event.parameters = Array.from({ length: r.int(5) }, () => randomJson(r, 0));
  if ('client_attributes' in event) event.client_attributes = randomJson(r, 3) ?? {};
  // What validation would refuse, which an unvalidated caller could still pass in: unknown
  // keys, explicit undefined, keys the outcome or error schema does not list.
  if (r.next() < 0.1) event[randomString(r, 6)] = randomJson(r, 1);
  if (r.next() < 0.1) event.db_user = undefined;
  if (r.next() < 0.1 && typeof event.outcome === 'object')
    (event.outcome as Record<string, unknown>)[randomString(r, 5)] = 1;
  if (r.next() < 0.05) event.event = randomString(r, 8);
  return shuffled(r, event);
}

test('fuzz: the fast canonical serializer writes the same bytes as canonicalJson for seeded random events', () => {
  const r = createSeededRandom(8785);
  for (let i = 0; i < 5000; i++) {
    const event = randomEvent(r);
    let expected: string | undefined;
    try {
      expected = canonicalJson(event);
    } catch (err) {
      assert.ok(isGatehouseError(err, 'GH_ERR_INTERNAL'));
      assert.throws(() => canonicalEventJson(event as unknown as AuditEvent), { code: 'GH_ERR_INTERNAL' });
      continue;
    }
    assert.equal(canonicalEventJson(event as unknown as AuditEvent), expected, `event ${i}`);
  }
});

test('the fast canonical serializer matches canonicalJson on events the audit layer builds', () => {
  const events: AuditEvent[] = [];
  const audit = createAudit({ sink: { emit: (e) => events.push(e) }, now: () => 1_700_000_000_123 });
  const session = {
    id: 's1',
    user: 'alice',
    roles: ['dev', 'ops'],
    dbService: 'db',
    dbUser: 'app',
    dbName: 'shop',
    clientAddr: '10.0.0.1:5000',
    engineId: 'e1',
    proxyId: 'p1',
    threadId: 9,
    clientAttributes: { _program_name: 'mysql', _os: 'Linux' },
    startedAt: 1_700_000_000_000,
  };
  audit.onSessionStart(session);
  audit.onQuery(session, "SELECT 'x\"y'", { kind: 'rows', rows: 3, warnings: 1 }, 0.1234);
  audit.onQuery(session, 'BAD', { kind: 'error', errno: 1064, sqlstate: '42000', message: 'syntax' }, 1);
  const statement = audit.describeStatement('CREATE USER ? IDENTIFIED BY ?');
  audit.onExecute(session, statement, 4, ['bob', 'secret'], { kind: 'ok', affected_rows: 0 }, 2);
  audit.onSessionEnd(session, new Error('gone'));
  assert.equal(events.length, 5);
  for (const event of events) assert.equal(canonicalEventJson(event), canonicalJson(event));
});

test('the fast canonical serializer refuses non-finite numbers like canonicalJson', () => {
  const event = makeAuditEvent('db.session.query', { duration_ms: Number.POSITIVE_INFINITY });
  assert.throws(() => canonicalEventJson(event), { code: 'GH_ERR_INTERNAL' });
});

test('fuzz: a query event written straight from its fields is the canonical JSON of the event object', () => {
  const r = createSeededRandom(2213);
  const written: Array<{ event: AuditEvent; canonical: string | undefined }> = [];
  const audit = createAudit({
    sink: { emit: (event, canonical) => written.push({ event, canonical }) },
    now: () => 1_700_000_000_000 + r.int(1e9),
    uuid: () => randomString(r, 36),
    queryLimit: 64,
  });
  const session = {
    id: randomString(r, 36),
    user: randomString(r),
    roles: Array.from({ length: r.int(4) }, () => randomString(r, 6)),
    dbService: randomString(r),
    dbUser: randomString(r),
    dbName: randomString(r),
    clientAddr: randomString(r),
    engineId: randomString(r),
    proxyId: randomString(r),
    clientAttributes: {},
  };
  for (let i = 0; i < 3000; i++) {
    // A USE or a change of user moves the session's fields between queries.
    if (r.next() < 0.1) session.dbName = randomString(r);
    if (r.next() < 0.05) session.dbUser = randomString(r);
    const outcome = shuffled(r, randomOutcome(r)) as never;
    audit.onQuery(session, randomString(r, 100), outcome, Math.abs(randomNumber(r)));
    const { event, canonical } = written.at(-1)!;
    let expected: string | undefined;
    try {
      expected = canonicalJson(event);
    } catch {
      // A value canonical JSON cannot hold: nothing is written here, the spool's path decides.
      assert.equal(canonical, undefined, `event ${i}`);
      continue;
    }
    assert.equal(canonical, expected, `event ${i}`);
    assert.equal(canonical, canonicalEventJson(event), `event ${i}`);
  }
  // Both ways were taken: written directly, and left to the spool (a non-finite duration).
  assert.ok(written.some((w) => w.canonical !== undefined));
  audit.onQuery(session, 'SELECT 1', { kind: 'rows', rows: 1 }, Number.POSITIVE_INFINITY);
  assert.equal(written.at(-1)!.canonical, undefined);
});
