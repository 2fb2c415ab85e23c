// gatectl audit … --proxy HOST:3080 --identity PREFIX: the same review through the proxy's
// /v1/audit API instead of the audit files, for auditors who hold a certificate but no access
// to the data dir. PREFIX is what `gatectl auth sign --out PREFIX` wrote: PREFIX.crt and
// PREFIX.key prove who is asking, PREFIX.cas verifies the proxy.
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { type ErrorCode, GatehouseError } from '@gatehouse/common';
import { type CommandContext, UsageError } from './command.js';
import { optionalString } from './output.js';

export interface AuditApiTarget {
  readonly host: string;
  readonly port: number;
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

/** The target of --proxy/--identity, or undefined when neither is given (the files are read). */
export async function readAuditApiTarget(ctx: Pick<CommandContext, 'values'>): Promise<AuditApiTarget | undefined> {
  const proxy = optionalString(ctx, 'proxy');
  const identity = optionalString(ctx, 'identity');
  if (proxy === undefined && identity === undefined) return undefined;
  if (proxy === undefined || identity === undefined) throw new UsageError('--proxy and --identity go together');
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(proxy);
  if (!m) throw new UsageError('--proxy must be HOST:PORT, the proxy web address (default port 3080)');
  const prefix = identity.replace(/\.(crt|key|cas)$/, '');
  const read = async (ext: string) => {
    try {
      return await readFile(`${prefix}.${ext}`, 'utf8');
    } catch (err) {
      throw new GatehouseError(
        'GH_ERR_USAGE',
        `cannot read ${prefix}.${ext} (from gatectl auth sign --out ${prefix})`,
        { cause: err },
      );
    }
  };
  return {
    host: m[1]!.replace(/^\[|\]$/g, ''),
    port: Number(m[2]),
    cert: await read('crt'),
    key: await read('key'),
    ca: await read('cas'),
  };
}

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'GH_ERR_WEB_BAD_REQUEST',
  401: 'GH_ERR_WEB_UNAUTHENTICATED',
  403: 'GH_ERR_WEB_FORBIDDEN',
};

/** GET a /v1/audit path; a refusal becomes an error with the proxy's own message. */
export function getAuditApi(target: AuditApiTarget, path: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.host,
        port: target.port,
        path: `/v1/audit${path}`,
        method: 'GET',
        cert: target.cert,
        key: target.key,
        ca: target.ca,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          let body: { error?: { message?: string } } | undefined;
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            body = undefined;
          }
          if (res.statusCode === 200 && body !== undefined) resolve(body);
          else {
            const message = `the proxy answered ${res.statusCode}: ${body?.error?.message ?? 'no reason given'}`;
            reject(new GatehouseError(STATUS_CODES[res.statusCode ?? 0] ?? 'GH_ERR_INTERNAL', message));
          }
        });
      },
    );
    req.on('error', (err) =>
      reject(
        new GatehouseError(
          'GH_ERR_INTERNAL',
          `cannot reach the proxy at ${target.host}:${target.port}: ${err.message}`,
          { cause: err },
        ),
      ),
    );
    req.end();
  });
}
