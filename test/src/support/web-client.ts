// A client of the proxy's audit API for end-to-end tests: HTTPS against the proxy's web port,
// trusting the host CA as a browser would after `gatectl auth export --type host`, with the
// sign-in cookie and CSRF token kept between calls.

import { writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import type { Cluster } from './cluster.js';

export interface WebResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  // biome-ignore lint/suspicious/noExplicitAny: the tests check each field they read with assert
  readonly json: any;
}

export interface AuditWebClient {
  readonly user: string;
  readonly cookie: string;
  readonly csrf: string;
  get(path: string): Promise<WebResponse>;
  post(path: string, body: unknown, options?: { csrf?: string | null; origin?: string }): Promise<WebResponse>;
}

export async function hostCaPem(cluster: Cluster): Promise<string> {
  const r = await cluster.gatectl(['auth', 'export', '--type', 'host']);
  if (r.code !== 0) throw new Error(`auth export failed: ${r.stderr}`);
  return r.stdout;
}

export function webRequest(
  cluster: Cluster,
  ca: string,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<WebResponse> {
  const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: cluster.webPort,
        method,
        path,
        ca,
        servername: 'localhost',
        headers: {
          ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** The token in a link printed by `gatectl web login`. */
export async function webLoginLink(cluster: Cluster, user: string): Promise<string> {
  const r = await cluster.gatectl([
    'web',
    'login',
    '--user',
    user,
    '--url',
    `https://localhost:${cluster.webPort}`,
    '--format',
    'json',
  ]);
  if (r.code !== 0) throw new Error(`gatectl web login --user ${user} exited ${r.code}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { link: string }).link;
}

export function tokenOf(link: string): string {
  const m = /#\/login\/([0-9a-f]{64})$/.exec(link);
  if (!m) throw new Error(`not a sign-in link: ${link}`);
  return m[1]!;
}

/** Signs `user` in through the API, as the web app does with the link's token. */
export async function signIn(cluster: Cluster, ca: string, user: string): Promise<AuditWebClient> {
  const token = tokenOf(await webLoginLink(cluster, user));
  const r = await webRequest(cluster, ca, 'POST', '/v1/audit/login', { body: { token } });
  if (r.status !== 200) throw new Error(`sign-in of ${user} answered ${r.status}: ${r.text}`);
  const setCookie = String(r.headers['set-cookie'] ?? '');
  const cookie = setCookie.split(';')[0]!;
  const csrf = (r.json as { csrf: string }).csrf;
  return {
    user,
    cookie,
    csrf,
    get: (path) => webRequest(cluster, ca, 'GET', path, { headers: { cookie } }),
    post: (path, body, o = {}) =>
      webRequest(cluster, ca, 'POST', path, {
        body,
        headers: {
          cookie,
          ...(o.csrf === null ? {} : { 'x-gatehouse-csrf': o.csrf ?? csrf }),
          ...(o.origin ? { origin: o.origin } : {}),
        },
      }),
  };
}

/**
 * Creates the roles e2e-auditor (audit read + terminate) and e2e-reader (read only), then the
 * users, each with one role and the db user app_rw.
 */
export async function addAuditUsers(cluster: Cluster, users: ReadonlyArray<readonly [string, string]>): Promise<void> {
  const roles = await cluster.gatectl(['roles', 'create', '-f', writeAuditRoles(join(cluster.dataDir, '..'))]);
  if (roles.code !== 0) throw new Error(`roles create failed: ${roles.stderr}`);
  for (const [user, role] of users) {
    const add = await cluster.gatectl(['users', 'add', user, '--roles', role, '--db-users', 'app_rw']);
    if (add.code !== 0) throw new Error(`users add ${user} failed: ${add.stderr}`);
  }
}

/** Role YAML in `dir` (the cluster's own, removed with it): an auditor who may also terminate, and a reader who may only look. */
function writeAuditRoles(dir: string): string {
  const file = join(dir, 'audit-roles.yaml');
  writeFileSync(
    file,
    `kind: role
name: e2e-auditor
options: { max_session_ttl: 1h, audit: { read: true, terminate: true } }
---
kind: role
name: e2e-reader
options: { audit: { read: true } }
`,
  );
  return file;
}
