import type { AuditEvent, AuditOutcome } from '@gatehouse/common';

const MAX = 80;

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX ? `${flat.slice(0, MAX - 1)}…` : flat;
}

function outcomeText(outcome: AuditOutcome | undefined): string {
  if (!outcome) return '';
  switch (outcome.kind) {
    case 'ok':
      return ` → ok, ${outcome.affected_rows} affected`;
    case 'rows':
      return ` → ${outcome.rows} rows`;
    case 'error':
      return ` → ERR ${outcome.errno}: ${oneLine(outcome.message)}`;
  }
}

/** One line saying what an event was, for the table. */
export function summarizeAuditEvent(e: AuditEvent): string {
  switch (e.event) {
    case 'db.session.start':
      if (!e.success) return oneLine(`denied: ${e.error?.message ?? 'unknown reason'}`);
      return oneLine(`thread ${e.thread_id ?? '?'} ${e.client_attributes._program_name ?? ''} from ${e.client_addr}`);
    case 'db.session.end':
      return e.error ? oneLine(`closed: ${e.error.message}`) : 'ended';
    case 'db.session.query':
    case 'db.session.mysql.statements.prepare':
    case 'db.session.mysql.local_infile':
      return oneLine(e.query) + outcomeText(e.outcome);
    case 'db.session.mysql.statements.execute':
      return `${oneLine(`#${e.statement_id} ${JSON.stringify(e.parameters)}`)}${outcomeText(e.outcome)}`;
    case 'db.session.mysql.statements.bulk_execute':
      return `#${e.statement_id} ${e.parameters.length} rows${outcomeText(e.outcome)}`;
    case 'db.session.mysql.init_db':
    case 'db.session.mysql.create_db':
    case 'db.session.mysql.drop_db':
      return oneLine(e.schema_name) + outcomeText(e.outcome);
    case 'db.session.mysql.change_user':
    case 'db.session.user_change':
      return `${e.old_db_user === undefined ? '' : `from ${e.old_db_user} `}to ${e.new_db_user}${outcomeText(e.outcome)}`;
    case 'db.session.migrate':
      return oneLine(
        `${e.from_engine_id} thread ${e.from_thread_id} → ${e.to_engine_id} thread ${e.to_thread_id} (${e.reason})`,
      );
    case 'db.session.mysql.process_kill':
      return `thread ${e.process_id}${outcomeText(e.outcome)}`;
    case 'db.session.malformed_packet':
      return oneLine(e.reason);
    case 'db.user.create':
    case 'db.user.update':
      return oneLine(`${e.db_user} roles ${e.db_roles.join(', ') || '(none)'}`);
    case 'db.user.lock':
    case 'db.user.drop':
      return oneLine(`${e.db_user} (${e.reason === 'sweep' ? 'sessions found dead' : 'last session ended'})`);
    case 'db.session.mysql.statements.send_long_data':
    case 'db.session.mysql.statements.close':
    case 'db.session.mysql.statements.reset':
    case 'db.session.mysql.statements.fetch':
      return `#${e.statement_id}${'outcome' in e ? outcomeText(e.outcome) : ''}`;
    default:
      return 'outcome' in e ? outcomeText(e.outcome).slice(3) : '';
  }
}
