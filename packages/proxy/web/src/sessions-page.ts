// Sessions: filters in the URL (so a view can be shared), one page at a time with a keyset
// cursor, and exports of the same search.
import { api, queryString } from './api.js';
import { errorBox, formatMs, formatTime, h, replaceContent } from './dom.js';
import type { Page, SessionSummary } from './types.js';

const FILTERS = ['since', 'until', 'user', 'db', 'query', 'type'] as const;
type Filters = Partial<Record<(typeof FILTERS)[number] | 'cursor', string>>;

function outcome(s: SessionSummary): HTMLElement {
  if (!s.success) return h('span', { class: 'bad' }, 'refused');
  if (s.error) return h('span', { class: 'bad' }, `closed: ${s.error}`);
  if (!s.ended) return h('span', { class: 'ok' }, 'open');
  return s.errors > 0 ? h('span', { class: 'bad' }, `${s.errors} error(s)`) : h('span', { class: 'ok' }, 'ok');
}

function row(s: SessionSummary): HTMLElement {
  return h(
    'tr',
    { 'data-sid': s.sid },
    h('td', {}, h('a', { href: `#/session/${encodeURIComponent(s.sid)}` }, formatTime(s.time))),
    h('td', { class: 'user' }, s.user),
    h('td', {}, `${s.db_service} / ${s.db_user}${s.db_name ? ` / ${s.db_name}` : ''}`),
    h('td', {}, s.client_addr, h('br'), h('span', { class: 'muted' }, s.program)),
    h('td', {}, s.ended ? formatMs(s.duration_ms) : '…'),
    h('td', {}, s.queries),
    h('td', {}, outcome(s)),
    h('td', {}, s.engine_id),
  );
}

export async function showSessions(main: HTMLElement, params: URLSearchParams): Promise<void> {
  const filters: Filters = {};
  for (const key of [...FILTERS, 'cursor'] as const) {
    const value = params.get(key);
    if (value) filters[key] = value;
  }
  const form = h('form', { class: 'filters', id: 'session-filters' });
  for (const key of FILTERS) {
    const input = h('input', {
      name: key,
      value: filters[key] ?? '',
      placeholder: key === 'since' ? '24h or 2026-01-01T00:00:00Z' : key === 'type' ? 'db.session.query' : '',
    });
    form.append(h('label', {}, key === 'query' ? 'text' : key, input));
  }
  form.append(h('button', { type: 'submit' }, 'Search'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const next: Record<string, string> = {};
    for (const key of FILTERS) next[key] = String(data.get(key) ?? '').trim();
    location.hash = `#/sessions${queryString(next)}`;
  });
  const status = h('div', { class: 'muted' }, 'Searching…');
  replaceContent(main, h('h1', {}, 'Sessions'), form, status);
  let page: Page<SessionSummary>;
  try {
    page = await api.get<Page<SessionSummary>>(`/sessions${queryString(filters)}`);
  } catch (err) {
    status.replaceWith(errorBox((err as Error).message));
    return;
  }
  const { cursor: _cursor, ...search } = filters;
  // data-search names the search a table answers, so a reader (a script, a test) can tell it
  // from the previous search's table that stays on screen until this one replaces it.
  const table = h(
    'table',
    { id: 'sessions', 'data-search': queryString(search) },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['Time', 'User', 'Database', 'Client', 'Duration', 'Queries', 'Outcome', 'Engine'].map((t) =>
          h('th', {}, t),
        ),
      ),
    ),
    h('tbody', {}, ...page.items.map(row)),
  );
  const pager = h('div', { class: 'pager' });
  if (filters.cursor) pager.append(h('a', { href: `#/sessions${queryString(search)}` }, 'First page'));
  if (page.next)
    pager.append(
      h('a', { href: `#/sessions${queryString({ ...search, cursor: page.next })}`, id: 'next-page' }, 'Next page'),
    );
  const exportQuery = (format: string) => `/v1/audit/events${queryString({ ...search, format, limit: '1000' })}`;
  pager.append(
    h('a', { href: exportQuery('jsonl'), download: '' }, 'Export events (JSONL)'),
    h('a', { href: exportQuery('csv'), download: '' }, 'Export events (CSV)'),
  );
  status.replaceWith(
    page.items.length === 0 ? h('p', { class: 'muted', id: 'no-sessions' }, 'No sessions match.') : table,
    pager,
  );
}
