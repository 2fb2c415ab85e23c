import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSeededRandom } from '@gatehouse/testing';
import { SessionState } from '../../src/session/session-state.js';
import { statementEffects } from '../../src/session/state-statements.js';

test('user variables are read outside quotes, never from system variables or account hosts', () => {
  const names = (sql: string) => statementEffects(sql).flatMap((e) => (e.kind === 'user-variable' ? [e.name] : []));
  assert.deepEqual(names('SET @a = 1, @B := 2'), ['a', 'b']);
  assert.deepEqual(names("SELECT @@sql_mode, 'mail@example.com', @`odd name`, @'q'"), ['odd name', 'q']);
  assert.deepEqual(names("GRANT SELECT ON x.* TO 'bob'@'%'; CREATE USER carol@localhost"), []);
  assert.deepEqual(names('SELECT 1 INTO @out; /* @not */ SELECT @x.y'), ['out', 'x.y']);
  assert.deepEqual(names('SELECT id FROM t WHERE id = 1'), []);
});

test('locks, temporary tables and transactions are recognised in every statement of a text', () => {
  const state = new SessionState('app');
  state.tracking = true;
  state.onQuerySucceeded('LOCK TABLES t WRITE');
  assert.equal(state.migratability({ busy: false, loadingData: false }).migratable, false);
  assert.equal(state.tableLocks, true);
  state.onQuerySucceeded('UNLOCK TABLES');
  assert.equal(state.tableLocks, false);
  state.onQuerySucceeded(
    'CREATE TEMPORARY TABLE IF NOT EXISTS `Tmp1` (id INT); CREATE TEMPORARY TABLE app.tmp2 (id INT)',
  );
  assert.deepEqual([...state.temporaryTables], ['tmp1', 'app.tmp2']);
  assert.deepEqual(state.migratability({ busy: false, loadingData: false }), {
    migratable: false,
    reason: 'temporary_table',
    message: 'a temporary table exists',
  });
  state.onQuerySucceeded('DROP TEMPORARY TABLE tmp1, app.tmp2');
  assert.equal(state.temporaryTables.size, 0);
  state.onQuerySucceeded("SELECT GET_LOCK('Job', 10), GET_LOCK(CONCAT('a', 'b'), 1)");
  assert.deepEqual([...state.userLocks], ['job']);
  assert.equal(state.anyUserLock, true);
  state.onQuerySucceeded("DO RELEASE_LOCK('job')");
  assert.equal(state.userLocks.size, 0);
  assert.equal(state.migratability({ busy: false, loadingData: false }).migratable, false);
  state.onQuerySucceeded('SELECT RELEASE_ALL_LOCKS()');
  assert.deepEqual(state.migratability({ busy: false, loadingData: false }), { migratable: true });
  assert.equal(state.migratability({ busy: true, loadingData: false }).migratable, false);
  assert.deepEqual(state.migratability({ busy: true, loadingData: true }), {
    migratable: false,
    reason: 'load_data',
    message: 'a LOAD DATA is in progress',
  });
  state.onQuerySucceeded('LOCK TABLE t READ; START TRANSACTION');
  assert.equal(state.tableLocks, false, 'START TRANSACTION releases table locks');
  state.onQuerySucceeded("SELECT 'LOCK TABLES x', '@y'");
  assert.equal(state.tableLocks, false);
  assert.equal(state.userVariables.size, 0);
  state.onQuerySucceeded('COMMIT');
  state.onReset();
  assert.equal(
    state.migratability({ busy: false, loadingData: false }).migratable === false &&
      (state.migratability({ busy: false, loadingData: false }) as { reason: string }).reason,
    'tracking_off',
    'after a reset the server forgot the trackers the engine set',
  );
});

test('statementEffects: seeded random text never throws', () => {
  const random = createSeededRandom(42);
  const alphabet = '@`\'"\\;/*!-#\n LOCKTABLESget_lock(),.tempORARYdropBEGINstart';
  for (let i = 0; i < 2000; i++) {
    let sql = '';
    const n = random.int(80);
    for (let j = 0; j < n; j++) sql += alphabet[random.int(alphabet.length)];
    statementEffects(sql);
  }
});
