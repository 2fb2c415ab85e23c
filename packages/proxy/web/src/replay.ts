// Session replay: the events of one session turned into what the `mariadb` client would have
// shown, and played back with the recorded gaps (divided by the speed). Only what the audit log
// holds can be shown: row counts and errors, not the rows themselves.
import type { AuditEvent, Outcome } from './types.js';

export interface ReplayStep {
  /** Milliseconds after the session's start. */
  readonly at: number;
  readonly text: string;
}

function seconds(ms: number | undefined): string {
  return `(${((ms ?? 0) / 1000).toFixed(3)} sec)`;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The client's answer line for an outcome, as mariadb prints it. */
export function outcomeLine(outcome: Outcome | undefined, durationMs: number | undefined): string {
  if (outcome === undefined) return '';
  if (outcome.kind === 'error')
    return `ERROR ${outcome.errno ?? 0} (${outcome.sqlstate ?? 'HY000'}): ${outcome.message ?? ''}`;
  if (outcome.kind === 'rows') {
    const rows = outcome.rows ?? 0;
    return rows === 0
      ? `Empty set ${seconds(durationMs)}`
      : `${plural(rows, 'row', 'rows')} in set ${seconds(durationMs)}`;
  }
  return `Query OK, ${plural(outcome.affected_rows ?? 0, 'row', 'rows')} affected ${seconds(durationMs)}`;
}

function formatParameters(parameters: unknown): string {
  if (!Array.isArray(parameters)) return JSON.stringify(parameters ?? []);
  return parameters.map((p) => JSON.stringify(p)).join(', ');
}

export function buildReplay(events: readonly AuditEvent[]): ReplayStep[] {
  const steps: ReplayStep[] = [];
  const first = events[0];
  if (first === undefined) return steps;
  const t0 = Date.parse(first.time);
  let db = first.db_name;
  const prompt = () => `MariaDB [${db === '' ? '(none)' : db}]> `;
  for (const e of events) {
    const at = Math.max(0, Date.parse(e.time) - t0);
    const say = (text: string) => steps.push({ at, text });
    switch (e.event) {
      case 'db.session.start': {
        const attrs = (e.client_attributes ?? {}) as Record<string, string>;
        if (e.success === false) {
          say(
            `ERROR ${e.error?.errno ?? 1045} (${e.error?.sqlstate ?? '28000'}): ${e.error?.message ?? 'login refused'}`,
          );
          break;
        }
        const program = attrs._program_name ?? attrs.program_name ?? attrs._client_name;
        const client = program ? ` with ${program} ${attrs._client_version ?? ''}`.trimEnd() : '';
        say(`-- ${e.user} connected to ${e.db_service} as ${e.db_user} from ${e.client_addr}${client}`);
        break;
      }
      case 'db.session.query':
        say(`${prompt()}${e.query ?? ''};`);
        say(outcomeLine(e.outcome, e.duration_ms));
        if (e.outcome?.kind !== 'error') {
          const use = /^\s*use\s+`?([^`;\s]+)`?/i.exec(e.query ?? '');
          if (use?.[1]) db = use[1];
        }
        break;
      case 'db.session.mysql.init_db':
        say(`${prompt()}use ${e.schema_name ?? ''}`);
        if (e.outcome?.kind === 'error') say(outcomeLine(e.outcome, undefined));
        else {
          db = e.schema_name ?? db;
          say('Database changed');
        }
        break;
      case 'db.session.mysql.statements.prepare':
        say(`-- PREPARE statement ${e.statement_id ?? '?'}: ${e.query ?? ''}`);
        if (e.outcome?.kind === 'error') say(outcomeLine(e.outcome, e.duration_ms));
        break;
      case 'db.session.mysql.statements.execute':
        say(
          `${prompt()}EXECUTE ${e.statement_id ?? '?'} USING (${formatParameters(e.parameters)}) -- ${e.query ?? ''}`,
        );
        say(outcomeLine(e.outcome, e.duration_ms));
        break;
      case 'db.session.terminate':
        say(`-- session terminated by ${String(e.terminated_by ?? '')}: ${String(e.reason ?? '')}`);
        break;
      case 'db.session.end':
        say(e.error ? `ERROR ${e.error.errno ?? 2013} (${e.error.sqlstate ?? 'HY000'}): ${e.error.message}` : 'Bye');
        break;
      default:
        say(`-- ${e.event}${e.outcome ? `: ${outcomeLine(e.outcome, e.duration_ms)}` : ''}`);
    }
  }
  return steps;
}

/** Gaps longer than this are shortened in playback and said so. */
const MAX_GAP_MS = 5_000;

/**
 * Plays `steps` into `terminal`; `speed` 0 means all at once. Resolves when done or when
 * `signal` aborts.
 */
export async function playReplay(
  terminal: HTMLElement,
  steps: readonly ReplayStep[],
  speed: number,
  signal: AbortSignal,
): Promise<void> {
  terminal.textContent = '';
  let previous = 0;
  for (const step of steps) {
    if (signal.aborted) return;
    let gap = step.at - previous;
    previous = step.at;
    if (gap > MAX_GAP_MS) {
      terminal.append(`-- (${Math.round(gap / 1000)} s idle)\n`);
      gap = MAX_GAP_MS;
    }
    if (speed > 0 && gap > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, gap / speed);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    if (signal.aborted) return;
    terminal.append(`${step.text}\n`);
    terminal.scrollTop = terminal.scrollHeight;
  }
  terminal.append('-- end of replay\n');
  terminal.dataset.done = 'true';
}
