// The audit web app: a hash router over four pages. The sign-in link (`gatectl web login`) is
// #/login/<token>: the token stays in the fragment, so it never reaches a server log or a
// Referer, and is traded once for an HttpOnly cookie.
import { ApiError, api, type Me, setCsrf } from './api.js';
import { errorBox, h, replaceContent } from './dom.js';
import { showLive } from './live-page.js';
import { showSession } from './session-page.js';
import { showSessions } from './sessions-page.js';
import { showVerify } from './verify-page.js';

let me: Me | undefined;
let current: AbortController | undefined;

function main(): HTMLElement {
  return document.getElementById('main') as HTMLElement;
}

function showSignedIn(): void {
  const who = document.getElementById('whoami');
  if (who && me) who.textContent = `${me.user} · until ${me.expires.replace('T', ' ').slice(0, 16)}Z`;
}

async function signIn(token: string): Promise<boolean> {
  try {
    me = await api.post<Me>('/login', { token });
    setCsrf(me.csrf);
    return true;
  } catch (err) {
    replaceContent(main(), h('h1', {}, 'Sign-in refused'), errorBox((err as Error).message));
    return false;
  } finally {
    // The token works once; don't leave it in the address bar or the history.
    history.replaceState(null, '', `${location.pathname}#/sessions`);
  }
}

async function route(): Promise<void> {
  current?.abort();
  current = new AbortController();
  const hash = location.hash || '#/sessions';
  const [path = '', query = ''] = hash.slice(1).split('?');
  const parts = path.split('/').filter(Boolean);
  if (parts[0] === 'login' && parts[1]) {
    if (await signIn(parts[1])) await route();
    return;
  }
  if (me === undefined) {
    try {
      me = await api.get<Me>('/me');
      setCsrf(me.csrf);
    } catch (err) {
      const signedOut = err instanceof ApiError && (err.status === 401 || err.status === 403);
      replaceContent(
        main(),
        h('h1', {}, signedOut ? 'Not signed in' : 'Error'),
        errorBox((err as Error).message),
        signedOut ? h('p', {}, "Ask for a sign-in link with 'gatectl web login --user NAME'.") : null,
      );
      return;
    }
  }
  showSignedIn();
  for (const link of document.querySelectorAll('nav a'))
    link.classList.toggle('active', link.getAttribute('href') === `#/${parts[0] ?? 'sessions'}`);
  const target = main();
  if (parts[0] === 'session' && parts[1]) await showSession(target, decodeURIComponent(parts[1]), current.signal);
  else if (parts[0] === 'verify') await showVerify(target);
  else if (parts[0] === 'live') await showLive(target, me);
  else await showSessions(target, new URLSearchParams(query));
  target.dataset.page = parts[0] ?? 'sessions';
}

window.addEventListener('hashchange', () => void route());
void route();
