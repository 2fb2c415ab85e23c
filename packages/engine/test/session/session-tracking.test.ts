import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  Capability,
  createResponseTracker,
  type OkFields,
  readTrackedCommand,
  ServerStatus,
  type SessionStateChange,
  serializeOkPacket,
  serializePacket,
} from '@gatehouse/mysql-protocol';
import { createSeededRandom, packetBuilder, splitsEverywhere } from '@gatehouse/testing';
import pino from 'pino';
import { SPLICE_HOLD_LIMIT } from '../../src/session/ok-splicer.js';
import { SessionState } from '../../src/session/session-state.js';
import { readBoundTypes, SessionTracking } from '../../src/session/session-tracking.js';

const BASE =
  Capability.LongPassword |
  Capability.Protocol41 |
  Capability.Transactions |
  Capability.SecureConnection |
  Capability.MultiResults |
  Capability.DeprecateEof;
const UPSTREAM = BASE | Capability.SessionTrack;
const log = pino({ level: 'silent' });

/** An OK as a tracking server sends it, with its state changes in the tracking block. */
function trackedOk(fields: OkFields, changes: readonly SessionStateChange[]): Buffer {
  return serializeOkPacket({ ...fields, sessionStateChanges: changes }, UPSTREAM);
}

/** Three replies: an UPDATE's OK with info and state, a result set ended by a tracked OK, a plain OK. */
function serverStream(bigRow: number): { upstream: Buffer; client: Buffer } {
  const update = {
    affectedRows: 1,
    statusFlags: ServerStatus.Autocommit | ServerStatus.InTrans,
    info: 'Rows matched: 1  Changed: 1  Warnings: 0',
  };
  const changes: SessionStateChange[] = [
    { kind: 'system-variable', name: 'sql_mode', value: 'ANSI' },
    { kind: 'transaction-state', state: 'T___W___' },
  ];
  const columnCount = packetBuilder().lenencInt(1).payload();
  const column = packetBuilder()
    .lenencString('def')
    .lenencString('')
    .lenencString('')
    .lenencString('')
    .lenencString('c')
    .lenencString('')
    .lenencInt(0x0c)
    .u16(45)
    .u32(100)
    .u8(0xfd)
    .u16(0)
    .u8(0)
    .u16(0)
    .payload();
  const row = packetBuilder().lenencString('x'.repeat(bigRow)).payload();
  const small = packetBuilder().lenencString('').payload();
  const endFields = { header: 0xfe as const, statusFlags: ServerStatus.Autocommit };
  const endChanges: SessionStateChange[] = [{ kind: 'schema', schema: 'app2' }];
  const upstreamPayloads = [
    trackedOk(update, changes),
    columnCount,
    column,
    small,
    row,
    small,
    trackedOk(endFields, endChanges),
    serializeOkPacket({ statusFlags: ServerStatus.Autocommit }, UPSTREAM),
  ];
  const clientPayloads = [
    serializeOkPacket(update, BASE),
    columnCount,
    column,
    small,
    row,
    small,
    serializeOkPacket(endFields, BASE),
    serializeOkPacket({ statusFlags: ServerStatus.Autocommit }, BASE),
  ];
  const seqs = [1, 1, 2, 3, 4, 5, 6, 1];
  return {
    upstream: Buffer.concat(upstreamPayloads.map((p, i) => serializePacket(p, seqs[i]!))),
    client: Buffer.concat(clientPayloads.map((p, i) => serializePacket(p, seqs[i]!))),
  };
}

/** Relays `chunks` the way the relay does: tracker first, then the splice. */
function relay(chunks: readonly Buffer[], clientCaps: number): { out: Buffer; state: SessionState } {
  const state = new SessionState('app');
  const tracking = new SessionTracking(state, UPSTREAM, clientCaps, log);
  const tracker = createResponseTracker({
    capabilities: UPSTREAM,
    onOutcome: (o) => tracking.onOutcome(o),
    onOkPacket: tracking.onOkPacket,
  });
  for (let i = 0; i < 3; i++) tracker.onCommand(readTrackedCommand(Buffer.from([0x03, 0x31])));
  const out: Buffer[] = [];
  for (const chunk of chunks) {
    tracker.pushServer(chunk);
    out.push(...(tracking.splice === undefined ? [chunk] : tracking.splice(chunk, tracker)));
  }
  return { out: Buffer.concat(out), state };
}

test('a client without CLIENT_SESSION_TRACK gets its OK packets in its own format, however the stream is cut', () => {
  for (const bigRow of [10, SPLICE_HOLD_LIMIT + 100]) {
    const { upstream, client } = serverStream(bigRow);
    assert.notDeepEqual(upstream, client);
    // Every cut for short rows; around a long row the random cuts below cover it.
    for (const [a, b] of bigRow > SPLICE_HOLD_LIMIT ? [] : splitsEverywhere(upstream)) {
      const { out, state } = relay([a, b], BASE);
      assert.deepEqual(out, client, `split at ${a.length} (row ${bigRow})`);
      assert.equal(state.variables.get('sql_mode'), 'ANSI');
      assert.equal(state.schema, 'app2');
    }
    const random = createSeededRandom(17);
    for (let round = 0; round < 200; round++) {
      const chunks: Buffer[] = [];
      for (let at = 0; at < upstream.length; ) {
        const n = 1 + random.int(bigRow > SPLICE_HOLD_LIMIT ? 8192 : 64);
        chunks.push(upstream.subarray(at, at + n));
        at += n;
      }
      assert.deepEqual(relay(chunks, BASE).out, client, `random round ${round}`);
    }
  }
});

test('a client with CLIENT_SESSION_TRACK gets the bytes unchanged, and the state is read from them', () => {
  const { upstream } = serverStream(10);
  const { out, state } = relay([upstream], UPSTREAM);
  assert.deepEqual(out, upstream);
  assert.equal(state.variables.get('sql_mode'), 'ANSI');
  assert.equal(state.transactionState, 'T___W___');
  assert.equal(state.schema, 'app2');
});

test('readBoundTypes reads the types an execute bound, and nothing when it bound none', () => {
  const header = packetBuilder().u8(0x17).u32(7).u8(0).u32(1);
  const bound = header.u8(0).u8(1).u16(0x03).u16(0x0f).lenencInt(0).payload();
  assert.deepEqual(readBoundTypes(bound, 2, BASE), Buffer.from([0x03, 0x00, 0x0f, 0x00]));
  const unbound = packetBuilder().u8(0x17).u32(7).u8(0).u32(1).u8(0).u8(0).payload();
  assert.equal(readBoundTypes(unbound, 2, BASE), undefined);
  assert.equal(readBoundTypes(unbound, 0, BASE), undefined);
});
