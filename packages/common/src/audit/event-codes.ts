// Event types use Teleport's names so people who read Teleport's audit log can read ours.
// Codes follow the same shape as Teleport's (family, two-digit number, severity letter) under
// our own prefixes, documented in docs/audit.md:
//   GDB = session-level events, GMY = MySQL command events, GDU = automatic database users,
//   GEN = engine events (an operator's drain);
//   I = informational (it worked), W = warning (it failed or was denied).
// Codes never change meaning once released; new events take the next number.

export const AUDIT_EVENT_CODES = {
  'db.session.start': { ok: 'GDB00I', failed: 'GDB00W' },
  'db.session.end': { ok: 'GDB01I', failed: 'GDB01W' },
  'db.session.query': { ok: 'GDB02I', failed: 'GDB02W' },
  'db.session.malformed_packet': { ok: 'GDB03W', failed: 'GDB03W' },
  'db.session.terminate': { ok: 'GDB04I', failed: 'GDB04W' },
  'db.session.user_change': { ok: 'GDB05I', failed: 'GDB05W' },
  'db.session.migrate': { ok: 'GDB06I', failed: 'GDB06W' },
  'db.session.mysql.statements.prepare': { ok: 'GMY00I', failed: 'GMY00W' },
  'db.session.mysql.statements.execute': { ok: 'GMY01I', failed: 'GMY01W' },
  'db.session.mysql.statements.send_long_data': { ok: 'GMY02I', failed: 'GMY02W' },
  'db.session.mysql.statements.close': { ok: 'GMY03I', failed: 'GMY03W' },
  'db.session.mysql.statements.reset': { ok: 'GMY04I', failed: 'GMY04W' },
  'db.session.mysql.statements.fetch': { ok: 'GMY05I', failed: 'GMY05W' },
  'db.session.mysql.statements.bulk_execute': { ok: 'GMY06I', failed: 'GMY06W' },
  'db.session.mysql.init_db': { ok: 'GMY07I', failed: 'GMY07W' },
  'db.session.mysql.create_db': { ok: 'GMY08I', failed: 'GMY08W' },
  'db.session.mysql.drop_db': { ok: 'GMY09I', failed: 'GMY09W' },
  'db.session.mysql.shut_down': { ok: 'GMY10I', failed: 'GMY10W' },
  'db.session.mysql.process_kill': { ok: 'GMY11I', failed: 'GMY11W' },
  'db.session.mysql.debug': { ok: 'GMY12I', failed: 'GMY12W' },
  'db.session.mysql.refresh': { ok: 'GMY13I', failed: 'GMY13W' },
  'db.session.mysql.change_user': { ok: 'GMY14I', failed: 'GMY14W' },
  'db.session.mysql.local_infile': { ok: 'GMY15I', failed: 'GMY15W' },
  'db.session.mysql.reset_connection': { ok: 'GMY16I', failed: 'GMY16W' },
  'db.user.create': { ok: 'GDU00I', failed: 'GDU00W' },
  'db.user.update': { ok: 'GDU01I', failed: 'GDU01W' },
  'db.user.lock': { ok: 'GDU02I', failed: 'GDU02W' },
  'db.user.drop': { ok: 'GDU03I', failed: 'GDU03W' },
  'engine.drain': { ok: 'GEN00I', failed: 'GEN00W' },
} as const;

export type AuditEventType = keyof typeof AUDIT_EVENT_CODES;
export type AuditEventCode =
  (typeof AUDIT_EVENT_CODES)[AuditEventType][keyof (typeof AUDIT_EVENT_CODES)[AuditEventType]];

export const AUDIT_EVENT_TYPES = Object.keys(AUDIT_EVENT_CODES) as readonly AuditEventType[];

/** The code for an event of `type` that succeeded (`ok`) or failed/was denied. */
export function auditEventCode(type: AuditEventType, ok: boolean): AuditEventCode {
  const codes = AUDIT_EVENT_CODES[type];
  return ok ? codes.ok : codes.failed;
}
