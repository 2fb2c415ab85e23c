// The statement policy's context for one set of roles, as a session would build it: the
// roles' access decision for db user 'u' on the 'dev' database, and their statement rules.
import assert from 'node:assert/strict';
import { createAccessChecker, createStatementRules, type Role } from '@gatehouse/common';
import { AnalysisCache } from '../../src/policy/analysis-cache.js';
import type { StatementContext } from '../../src/policy/statement-policy.js';

export const database = { name: 'db', labels: { env: 'dev' } };

export function context(roles: Role[], schema = 'acc'): StatementContext {
  const checker = createAccessChecker({ roles, traits: {} });
  const decision = checker.checkAccess({ db: database, dbUser: 'u', dbName: '' });
  assert.equal(decision.allowed, true);
  const rules = createStatementRules(roles, decision.allowed ? decision.roles : []);
  assert.ok(rules);
  return {
    user: 'alice',
    database,
    dbUser: 'u',
    checker,
    statementRules: rules,
    currentSchema: () => schema,
    analysisCache: new AnalysisCache(),
  };
}
