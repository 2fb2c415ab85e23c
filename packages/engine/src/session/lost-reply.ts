// A server reply the response tracker cannot follow (a packet where its state machine expects
// another kind) must not cost the client its session. The bytes are the server's and the client
// may well understand them, so they pass through unchanged; what is lost is only the gateway's
// knowledge of where that reply ends. The commands it was following end in the audit with an
// error outcome that says so, and tracking starts again, with a fresh tracker, at the client's
// next command: a client sends one only after reading the whole reply, so the server stream is
// then at a packet boundary. Until then, a client packet whose sequence id is not 0 is a reply
// to something the server asked (auth data, a file) and passes too; it can't smuggle a command,
// because the server refuses a command packet whose sequence id is not 0 (packets out of order).
import type { AuditOutcome } from '@gatehouse/common';
import type { TrackedCommand } from '@gatehouse/mysql-protocol';
import type { CommandAudit } from './command-audit.js';
import type { CommandRecord } from './command-record.js';

/** CR_MALFORMED_PACKET: what a client library reports for a reply it cannot read. */
const LOST_ERRNO = 2027;

/** The outcome recorded for a command whose reply the gateway could not follow. */
export function lostReplyOutcome(reason: string): AuditOutcome {
  return {
    kind: 'error',
    errno: LOST_ERRNO,
    sqlstate: 'HY000',
    message: `the gateway could not follow the database's reply (relayed unchanged): ${reason}`.slice(0, 4096),
  };
}

/** Ends the audit records of the commands a lost reply leaves unfinished. */
export function endLostCommands(unfinished: readonly TrackedCommand[], reason: string, audit: CommandAudit): void {
  const outcome = lostReplyOutcome(reason);
  for (const command of unfinished) {
    const record = command as CommandRecord;
    record.error = outcome;
    audit.onFinished(record);
  }
}
