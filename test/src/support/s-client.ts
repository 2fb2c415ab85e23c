// One `openssl s_client -starttls mysql` connection to a proxy's MySQL port, for the TLS session
// resumption tests: it reads the greeting, sends an SSLRequest, and saves or offers the session.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, rmSync, statSync } from 'node:fs';
import { findExecutable, waitFor } from '@gatehouse/testing';

export interface Outcome {
  /** "New" or "Reused", as s_client prints it after the handshake. */
  readonly session: string;
  readonly protocol: string;
  readonly cipher: string;
  readonly output: string;
}

/**
 * One s_client connection. It stays open (stdin open) until the handshake is reported and, with
 * `sessOut`, the session is saved: TLS 1.3 tickets come after the handshake.
 */
export async function sClient(
  port: number,
  files: { cert: string; key: string },
  flags: readonly string[],
  session: { sessOut?: string; sessIn?: string },
): Promise<Outcome> {
  const openssl = findExecutable(['openssl']);
  assert.ok(openssl, 'openssl is installed by scripts/ensure-system.mjs');
  if (session.sessOut !== undefined) rmSync(session.sessOut, { force: true });
  const args = [
    's_client',
    '-connect',
    `127.0.0.1:${port}`,
    '-starttls',
    'mysql',
    ...flags,
    '-cert',
    files.cert,
    '-key',
    files.key,
    ...(session.sessOut !== undefined ? ['-sess_out', session.sessOut] : []),
    ...(session.sessIn !== undefined ? ['-sess_in', session.sessIn] : []),
  ];
  const child: ChildProcess = spawn(openssl, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString('latin1');
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString('latin1');
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const line = await waitFor(
      `s_client ${flags.join(' ')} to report its session`,
      () => {
        const m = /^(New|Reused), (TLSv1\.[23]), Cipher is (\S+)/m.exec(output);
        if (m === null) {
          if (child.exitCode !== null) throw new Error(`s_client exited early:\n${output}`);
          return undefined;
        }
        if (session.sessOut !== undefined && !(existsSync(session.sessOut) && statSync(session.sessOut).size > 0))
          return undefined;
        return m;
      },
      15_000,
    );
    return { session: line[1]!, protocol: line[2]!, cipher: line[3]!, output };
  } finally {
    child.stdin!.end();
    await exited;
  }
}
