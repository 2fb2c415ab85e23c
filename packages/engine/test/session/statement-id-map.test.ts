import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Command } from '@gatehouse/mysql-protocol';
import { StatementIdMap } from '../../src/session/statement-id-map.js';

function command(byte: number, id: number, rest: number[] = []): Buffer {
  const b = Buffer.alloc(5 + rest.length);
  b[0] = byte;
  b.writeUInt32LE(id, 1);
  Buffer.from(rest).copy(b, 5);
  return b;
}

function prepareOk(id: number): Buffer {
  const b = Buffer.alloc(12);
  b[0] = 0x00;
  b.writeUInt32LE(id, 1);
  return b;
}

test('every COM_STMT_* command gets the server id of the client id it names', () => {
  const ids = new StatementIdMap([
    [3, 1],
    [7, 2],
  ]);
  for (const byte of [
    Command.StmtExecute,
    Command.StmtSendLongData,
    Command.StmtReset,
    Command.StmtFetch,
    Command.StmtBulkExecute,
  ]) {
    const packet = command(byte, 7, [0, 1, 0, 0, 0]);
    ids.rewriteCommand(packet);
    assert.equal(packet.readUInt32LE(1), 2, `command 0x${byte.toString(16)}`);
    assert.deepEqual([...packet.subarray(5)], [0, 1, 0, 0, 0], 'the rest of the packet is untouched');
  }
  // Not a statement command, an unknown id, MariaDB's "last prepared": unchanged.
  const query = command(Command.Query, 7);
  ids.rewriteCommand(query);
  assert.equal(query.readUInt32LE(1), 7);
  const unknown = command(Command.StmtExecute, 99);
  ids.rewriteCommand(unknown);
  assert.equal(unknown.readUInt32LE(1), 99);
  const last = command(Command.StmtExecute, 0xffff_ffff);
  ids.rewriteCommand(last);
  assert.equal(last.readUInt32LE(1), 0xffff_ffff);
});

test('a close forgets the pair; a new prepare never gets an id the client still holds', () => {
  // After a move: the client holds 1 and 3, which the new server knows as 1 and 2.
  const ids = new StatementIdMap([
    [1, 1],
    [3, 2],
  ]);
  // The server's next id is 3: the client holds 3 already, so it gets a fresh one.
  const third = ids.rewritePrepareOk(prepareOk(3));
  const clientId = third.readUInt32LE(1);
  assert.notEqual(clientId, 1);
  assert.notEqual(clientId, 3);
  const exec = command(Command.StmtExecute, clientId);
  ids.rewriteCommand(exec);
  assert.equal(exec.readUInt32LE(1), 3, 'the fresh client id reaches the server as its own id');
  assert.equal(ids.clientIdOf(3), clientId);
  // The server's id 7 is free on the client's side: kept as it is, payload not copied.
  const free = prepareOk(7);
  assert.equal(ids.rewritePrepareOk(free), free);
  // A close of client 3 reaches the server as 2 and forgets the pair.
  const close = command(Command.StmtClose, 3);
  ids.rewriteCommand(close);
  assert.equal(close.readUInt32LE(1), 2);
  const after = command(Command.StmtExecute, 3);
  ids.rewriteCommand(after);
  assert.equal(after.readUInt32LE(1), 3, 'a closed id is not mapped any more');
  ids.clear();
  const cleared = command(Command.StmtExecute, clientId);
  ids.rewriteCommand(cleared);
  assert.equal(cleared.readUInt32LE(1), clientId);
});
