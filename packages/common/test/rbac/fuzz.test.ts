import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSeededRandom } from '@gatehouse/mysql-protocol/testing';
import { isGatehouseError } from '../../src/errors.js';
import { checkAccess } from '../../src/rbac/access-checker.js';
import { compileGlob } from '../../src/rbac/glob.js';
import { parseRole, parseUser } from '../../src/rbac/validate.js';

const ATOMS = [
  '*',
  '{{',
  '}}',
  'internal.db_users',
  '.',
  '(',
  '[',
  '\\',
  '$',
  '^',
  '+',
  '?',
  'a',
  'é',
  '\u0000',
  '8h',
  '-1s',
];
const KEYS = [
  'kind',
  'name',
  'options',
  'allow',
  'deny',
  'db_labels',
  'db_users',
  'db_names',
  'max_session_ttl',
  'env',
  '*',
  'x',
];

function randomString(rand: () => number): string {
  let out = '';
  const n = Math.floor(rand() * 6);
  for (let i = 0; i < n; i++) out += ATOMS[Math.floor(rand() * ATOMS.length)];
  return out;
}

function randomValue(rand: () => number, depth: number): unknown {
  const pick = Math.floor(rand() * (depth > 3 ? 5 : 7));
  switch (pick) {
    case 0:
      return randomString(rand);
    case 1:
      return rand() < 0.5;
    case 2:
      return Math.floor(rand() * 1000) - 500;
    case 3:
      return null;
    case 4:
      return rand() < 0.5 ? 'role' : 'dev';
    case 5:
      return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth + 1));
    default: {
      const obj: Record<string, unknown> = {};
      for (let i = Math.floor(rand() * 5); i > 0; i--)
        obj[KEYS[Math.floor(rand() * KEYS.length)]!] = randomValue(rand, depth + 1);
      return obj;
    }
  }
}

test('fuzz: random role and user documents only ever raise GH_ERR_CONFIG', () => {
  const rand = createSeededRandom(0x5eed).next;
  let accepted = 0;
  for (let i = 0; i < 3000; i++) {
    const doc = randomValue(rand, 0);
    const asRole =
      rand() < 0.5 && doc && typeof doc === 'object' && !Array.isArray(doc) ? { kind: 'role', name: 'r', ...doc } : doc;
    for (const parse of [parseRole, parseUser]) {
      try {
        const role = parse(asRole);
        accepted++;
        if (parse === parseRole) {
          // Anything the schema accepts must also evaluate without throwing.
          checkAccess(
            { roles: [role as ReturnType<typeof parseRole>], traits: { db_users: [randomString(rand)] } },
            {
              db: { name: 'd', labels: { env: randomString(rand) } },
              dbUser: randomString(rand),
              dbName: randomString(rand),
            },
          );
        }
      } catch (err) {
        assert.ok(isGatehouseError(err, 'GH_ERR_CONFIG'), `unexpected ${String(err)} for ${JSON.stringify(asRole)}`);
      }
    }
  }
  assert.ok(accepted > 0, 'some random documents are valid roles');
});

test('fuzz: glob patterns with regex metacharacters match literally', () => {
  const rand = createSeededRandom(42).next;
  for (let i = 0; i < 2000; i++) {
    const literal = randomString(rand).replaceAll('*', '');
    assert.equal(compileGlob(literal)(literal), true, literal);
    assert.equal(compileGlob(`${literal}*`)(`${literal}tail`), true, literal);
    assert.equal(compileGlob(literal)(`${literal}x`), false, literal);
  }
});
