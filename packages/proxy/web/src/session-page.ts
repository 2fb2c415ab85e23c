// One session: every event in order with its outcome, exports, and the replay terminal.
import { api } from './api.js';
import { errorBox, formatMs, formatTime, h, replaceContent } from './dom.js';
import { buildReplay, outcomeLine, playReplay } from './replay.js';
import type { AuditEvent } from './types.js';

function detail(e: AuditEvent): string {
  if (typeof e.query === 'string') return e.query;
  if (e.event === 'db.session.start') {
    const attrs = (e.client_attributes ?? {}) as Record<string, string>;
    const program = attrs._program_name ?? attrs.program_name ?? attrs._client_name ?? 'client';
    return `${program} ${attrs._client_version ?? ''} from ${e.client_addr}`.replace(/\s+/g, ' ');
  }
  if (e.event === 'db.session.terminate') return `by ${String(e.terminated_by)}: ${String(e.reason)}`;
  if (e.schema_name !== undefined) return e.schema_name;
  return '';
}

function result(e: AuditEvent): HTMLElement {
  if (e.outcome) {
    const line = outcomeLine(e.outcome, undefined).replace(/ \(0\.000 sec\)$/, '');
    return h('span', { class: e.outcome.kind === 'error' ? 'bad' : 'ok' }, line);
  }
  if (e.error) return h('span', { class: 'bad' }, e.error.message);
  if (e.event === 'db.session.start')
    return h('span', { class: e.success ? 'ok' : 'bad' }, e.success ? 'logged in' : 'refused');
  return h('span', {}, '');
}

export async function showSession(main: HTMLElement, sid: string, signal: AbortSignal): Promise<void> {
  replaceContent(main, h('h1', {}, `Session ${sid}`), h('p', { class: 'muted' }, 'Loading…'));
  let data: { events: AuditEvent[]; truncated: boolean };
  try {
    data = await api.get(`/sessions/${encodeURIComponent(sid)}/events`);
  } catch (err) {
    replaceContent(main, h('h1', {}, `Session ${sid}`), errorBox((err as Error).message));
    return;
  }
  const start = data.events[0];
  const t0 = start ? Date.parse(start.time) : 0;
  const rows = data.events.map((e, i) =>
    h(
      'tr',
      { 'data-event': e.event, 'data-index': String(i) },
      h('td', {}, formatTime(e.time), h('br'), h('span', { class: 'muted' }, `+${formatMs(Date.parse(e.time) - t0)}`)),
      h('td', {}, e.event.replace(/^db\.session\./, '')),
      h('td', { class: 'query' }, detail(e)),
      h('td', {}, formatMs(e.duration_ms)),
      h('td', { class: 'outcome' }, result(e)),
      h('td', { class: 'query' }, e.parameters === undefined ? '' : JSON.stringify(e.parameters)),
    ),
  );
  const terminal = h('pre', { class: 'terminal', id: 'replay', 'aria-live': 'polite' });
  const speed = h(
    'select',
    { id: 'replay-speed' },
    h('option', { value: '1' }, 'real time'),
    h('option', { value: '4' }, '4× faster'),
    h('option', { value: '20' }, '20× faster'),
    h('option', { value: '0' }, 'instant'),
  );
  let playing: AbortController | undefined;
  const play = h('button', { type: 'button', id: 'replay-play' }, 'Replay');
  play.addEventListener('click', () => {
    playing?.abort();
    playing = new AbortController();
    signal.addEventListener('abort', () => playing?.abort());
    delete terminal.dataset.done;
    void playReplay(terminal, buildReplay(data.events), Number(speed.value), playing.signal);
  });
  const base = `/v1/audit/sessions/${encodeURIComponent(sid)}/events`;
  replaceContent(
    main,
    h('h1', {}, `Session ${sid}`),
    start
      ? h(
          'p',
          {},
          `${start.user} → ${start.db_service} as ${start.db_user}${start.db_name ? ` (${start.db_name})` : ''}, engine ${start.engine_id}`,
        )
      : null,
    h(
      'div',
      { class: 'actions' },
      h('a', { href: `${base}?format=jsonl`, download: '' }, 'Export JSONL'),
      h('a', { href: `${base}?format=csv`, download: '' }, 'Export CSV'),
      data.truncated ? h('span', { class: 'bad' }, 'Only the first 100 000 events are shown.') : null,
    ),
    h(
      'table',
      { id: 'timeline' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Time', 'Event', 'Query / details', 'Duration', 'Outcome', 'Parameters'].map((t) => h('th', {}, t)),
        ),
      ),
      h('tbody', {}, ...rows),
    ),
    h('h1', {}, 'Replay'),
    h('div', { class: 'actions' }, speed, play),
    terminal,
  );
}
