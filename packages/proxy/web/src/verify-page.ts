// Verify: runs the hash-chain check and shows the first broken link and the event after it.
import { api } from './api.js';
import { errorBox, h, replaceContent } from './dom.js';

interface VerifyReport {
  readonly ok: boolean;
  readonly files: number;
  readonly events: number;
  readonly notes: readonly string[];
  readonly file?: string;
  readonly line?: number;
  readonly reason?: string;
  readonly broken?: string;
  readonly following?: string;
}

export async function showVerify(main: HTMLElement): Promise<void> {
  const output = h('div', { id: 'verify-result' });
  const run = h('button', { type: 'button', id: 'verify-run' }, 'Verify the chain');
  const go = async () => {
    replaceContent(output, h('p', { class: 'muted' }, 'Verifying…'));
    try {
      const r = await api.get<VerifyReport>('/verify');
      const notes = r.notes.map((n) => h('li', {}, n));
      if (r.ok) {
        replaceContent(
          output,
          h(
            'div',
            { class: 'banner-ok', id: 'verify-ok' },
            `Intact: ${r.events} events in ${r.files} file(s) link up.`,
          ),
          notes.length ? h('ul', {}, ...notes) : null,
        );
        return;
      }
      replaceContent(
        output,
        h(
          'div',
          { class: 'error', id: 'verify-broken' },
          `Broken at ${r.file}${r.line ? ` line ${r.line}` : ''}: ${r.reason}`,
        ),
        h('p', {}, `${r.events} event(s) verified before it.`),
        r.broken !== undefined
          ? h('div', {}, h('h1', {}, 'The first bad line'), h('pre', { class: 'line', id: 'verify-line' }, r.broken))
          : null,
        r.following !== undefined
          ? h(
              'div',
              {},
              h('h1', {}, 'The event after it'),
              h('pre', { class: 'line', id: 'verify-following' }, r.following),
            )
          : null,
        notes.length ? h('ul', {}, ...notes) : null,
      );
    } catch (err) {
      replaceContent(output, errorBox((err as Error).message));
    }
  };
  run.addEventListener('click', () => void go());
  replaceContent(
    main,
    h('h1', {}, 'Verify the audit log'),
    h(
      'p',
      {},
      'Each event records the hash of the one before it. An edited, inserted or deleted line breaks the chain at that point.',
    ),
    run,
    output,
  );
  await go();
}
