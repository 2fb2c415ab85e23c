import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Role, RoleSchema } from '../../src/rbac/schemas.js';
import { createStatementRules } from '../../src/rbac/statement-rules.js';

const role = (r: unknown): Role => RoleSchema.parse(r);
const base = { kind: 'role', allow: { db_labels: { '*': '*' }, db_users: ['*'] } };

test('a role with db_names * and no statement rules asks nothing of statements', () => {
  const all = role({ ...base, name: 'all', allow: { ...base.allow, db_names: ['*'] } });
  assert.equal(createStatementRules([all], ['all']), undefined);
});

test('restricted db_names turn name checks on, with unparsed statements denied by default', () => {
  const acc = role({ ...base, name: 'acc', allow: { ...base.allow, db_names: ['acc'] } });
  const rules = createStatementRules([acc], ['acc']);
  assert.equal(rules?.checkNames, true);
  assert.equal(rules?.unparsed, 'deny');
  assert.deepEqual(rules?.unparsedRoles, ['acc']);
  // A granting role with '*' beside it lifts the name check.
  const all = role({ ...base, name: 'all', allow: { ...base.allow, db_names: ['*'] } });
  assert.equal(createStatementRules([acc, all], ['acc', 'all']), undefined);
});

test('unparsed_statements: allow holds unless another role says deny', () => {
  const open = role({
    ...base,
    name: 'open',
    options: { unparsed_statements: 'allow' },
    allow: { ...base.allow, db_names: ['acc'] },
  });
  assert.equal(createStatementRules([open], ['open'])?.unparsed, 'allow');
  const strict = role({ kind: 'role', name: 'strict', options: { unparsed_statements: 'deny' } });
  const rules = createStatementRules([open, strict], ['open']);
  assert.equal(rules?.unparsed, 'deny');
  assert.deepEqual(rules?.unparsedRoles, ['strict']);
});

test('allow.statements limits the classes; a one-word entry covers its two-word forms', () => {
  const ro = role({
    ...base,
    name: 'ro',
    allow: { ...base.allow, db_names: ['*'], statements: ['SELECT', 'show', 'explain', 'set', 'use'] },
  });
  const rules = createStatementRules([ro], ['ro']);
  assert.ok(rules);
  assert.equal(rules.checkNames, false);
  assert.equal(rules.checkClasses(['select']), undefined);
  assert.match(
    rules.checkClasses(['insert']) ?? '',
    /role 'ro' allow only statements select, show, explain, set, use .*'insert'/,
  );
  assert.match(rules.checkClasses(['drop', 'drop table']) ?? '', /'drop table'/);
  const ddl = role({ ...base, name: 'ddl', allow: { ...base.allow, db_names: ['*'], statements: ['create'] } });
  assert.equal(createStatementRules([ddl], ['ddl'])?.checkClasses(['create', 'create table']), undefined);
});

test('deny.statements and deny.tables name the role and the rule; deny holds from a role that did not grant', () => {
  const dev = role({ ...base, name: 'dev', allow: { ...base.allow, db_names: ['*'] } });
  const guard = role({
    kind: 'role',
    name: 'guard',
    deny: { statements: ['drop', 'Alter  User'], tables: ['hr.salaries', 'audit_*.*'] },
  });
  const rules = createStatementRules([dev, guard], ['dev']);
  assert.ok(rules);
  assert.equal(rules.checkClasses(['select']), undefined);
  assert.match(rules.checkClasses(['drop', 'drop table']) ?? '', /role 'guard' denies statements 'drop'/);
  assert.match(rules.checkClasses(['alter', 'alter user']) ?? '', /'alter user'/);
  assert.equal(rules.checkClasses(['alter', 'alter table']), undefined);
  assert.match(
    rules.checkTable('hr', 'salaries') ?? '',
    /role 'guard' denies table 'hr.salaries' \(deny.tables 'hr.salaries'\)/,
  );
  assert.match(rules.checkTable('audit_2026', 'x') ?? '', /audit_\*\.\*/);
  assert.equal(rules.checkTable('hr', 'people'), undefined);
});

test('the schema refuses unknown statement classes, bad table patterns and allow.tables', () => {
  assert.throws(
    () => role({ kind: 'role', name: 'x', deny: { statements: ['dorp'] } }),
    /unknown statement class 'dorp'/,
  );
  assert.throws(() => role({ kind: 'role', name: 'x', deny: { statements: ['select user'] } }), /two-word classes/);
  assert.throws(() => role({ kind: 'role', name: 'x', deny: { tables: ['salaries'] } }), /schema\.table/);
  assert.throws(() => role({ kind: 'role', name: 'x', allow: { tables: ['hr.salaries'] } }), /deny rule only/);
  assert.throws(
    () => role({ kind: 'role', name: 'x', options: { unparsed_statements: 'maybe' } }),
    /unparsed_statements/,
  );
});
