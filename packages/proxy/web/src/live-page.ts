// Live: sessions open on this proxy now; an auditor with audit.terminate can end one.
import type { LiveSessionView as LiveSession } from '@gatehouse/proxy';
import { api, type Me } from './api.js';
import { errorBox, formatTime, h, replaceContent } from './dom.js';

export async function showLive(main: HTMLElement, me: Me): Promise<void> {
  replaceContent(main, h('h1', {}, 'Live sessions'), h('p', { class: 'muted' }, 'Loading…'));
  let items: LiveSession[];
  try {
    items = (await api.get<{ items: LiveSession[] }>('/live')).items;
  } catch (err) {
    replaceContent(main, h('h1', {}, 'Live sessions'), errorBox((err as Error).message));
    return;
  }
  const status = h('div', { id: 'live-status' });
  const rows = items.map((s) => {
    const cells = [
      h('td', {}, h('a', { href: `#/session/${encodeURIComponent(s.sid)}` }, formatTime(s.started))),
      h('td', { class: 'user' }, s.user),
      h('td', {}, `${s.db_service} / ${s.db_user}${s.db_name ? ` / ${s.db_name}` : ''}`),
      h('td', {}, s.client_addr, h('br'), h('span', { class: 'muted' }, s.program)),
      h('td', {}, s.engine_id),
    ];
    if (me.permissions.terminate) {
      const reason = h('input', { placeholder: 'reason', 'aria-label': 'reason', class: 'reason' });
      const button = h('button', { type: 'button', class: 'terminate' }, 'Terminate');
      button.addEventListener('click', async () => {
        if (reason.value.trim() === '') {
          replaceContent(status, errorBox('Say why the session is being ended.'));
          return;
        }
        try {
          await api.post(`/live/${encodeURIComponent(s.sid)}/terminate`, { reason: reason.value.trim() });
          replaceContent(status, h('div', { class: 'banner-ok' }, `Session ${s.sid} of ${s.user} terminated.`));
          button.disabled = true;
        } catch (err) {
          replaceContent(status, errorBox((err as Error).message));
        }
      });
      cells.push(h('td', {}, reason, ' ', button));
    }
    return h('tr', { 'data-sid': s.sid }, ...cells);
  });
  const headings = [
    'Started',
    'User',
    'Database',
    'Client',
    'Engine',
    ...(me.permissions.terminate ? ['Terminate'] : []),
  ];
  replaceContent(
    main,
    h('h1', {}, 'Live sessions'),
    status,
    items.length === 0
      ? h('p', { class: 'muted' }, 'No session is open on this proxy.')
      : h(
          'table',
          { id: 'live' },
          h('thead', {}, h('tr', {}, ...headings.map((t) => h('th', {}, t)))),
          h('tbody', {}, ...rows),
        ),
  );
}
