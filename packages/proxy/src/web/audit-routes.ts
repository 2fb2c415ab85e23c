// The audit review API under /v1/audit: sign-in with a one-time token from `gatectl web login`,
// sessions, events, exports, chain verification and live sessions. The web app under /web/ is
// its only browser client; scripts may call it with the same cookie. Every route but login needs
// a signed-in person whose roles grant audit.read (terminate: audit.terminate), checked again on
// each request; requests that change something also need the session's CSRF token in a header.
import type { TLSSocket } from 'node:tls';
import type { AuditStore, Store } from '@gatehouse/auth';
import { type AuditEvent, computeAuditPermissions, GatehouseError, isGatehouseError } from '@gatehouse/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { type ClientVerifier, readPeerChain } from '../front-door/client-certificate.js';
import { toCsv, toJsonl } from './audit-export.js';
import {
  describeIssue,
  EventsQuerySchema,
  LoginBodySchema,
  MAX_AUDIT_URL,
  SessionEventsQuerySchema,
  SessionIdSchema,
  SessionsQuerySchema,
  TerminateBodySchema,
} from './audit-query.js';
import {
  type LiveSessionsDeps,
  type LiveSessionsSource,
  listLiveSessions,
  terminateLiveSession,
} from './live-sessions.js';
import {
  CLEARED_COOKIE,
  DEFAULT_WEB_SESSION_TTL_MS,
  readCookie,
  SESSION_COOKIE,
  sameSecret,
  sessionCookie,
  type WebSession,
  WebSessions,
} from './web-sessions.js';

export const AUDIT_API = '/v1/audit';
/** A session's events are read in pages of this many; a session longer than the cap is cut. */
const SESSION_EVENTS_CAP = 100_000;

export interface AuditRoutesOptions extends Omit<LiveSessionsDeps, 'audit'> {
  readonly audit: Pick<AuditStore, 'append' | 'searchPage' | 'sessions' | 'verify'>;
  readonly store: Pick<Store, 'consumeToken' | 'resolveUserAccess' | 'isLocked'>;
  readonly log: Logger;
  readonly sessions?: WebSessions;
  /**
   * Checks a user certificate sent on the HTTPS connection (gatectl --proxy --identity): GET
   * requests may sign in with it instead of a cookie. Absent: cookies only.
   */
  readonly verifier?: ClientVerifier;
  /** The sessions are the session workers': list and end them there. */
  readonly live?: LiveSessionsSource;
}

type Need = 'read' | 'terminate';

function fail(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').send({ error: { code, message } });
}

function parse<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(value ?? {});
  if (!result.success)
    throw new GatehouseError('GH_ERR_WEB_BAD_REQUEST', `invalid ${what}: ${describeIssue(result.error, what)}`);
  return result.data;
}

/** Drops undefined values, for exactOptionalPropertyTypes filters. */
function defined<T extends Record<string, unknown>>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as never;
}

export function registerAuditRoutes(app: FastifyInstance, options: AuditRoutesOptions): WebSessions {
  const { audit, store, log } = options;
  const sessions = options.sessions ?? new WebSessions();

  /**
   * Who is asking: the cookie's session, or (GET only, so no request a page could forge changes
   * anything) a user certificate presented on the connection, verified like a MySQL client's:
   * chain, expiry and locks. A certificate sign-in ends with the certificate.
   */
  async function identify(request: FastifyRequest): Promise<{ user: string; session?: WebSession }> {
    const session = sessions.get(readCookie(request.headers.cookie, SESSION_COOKIE));
    if (session !== undefined) return { user: session.user, session };
    const chain = options.verifier && request.method === 'GET' ? readPeerChain(request.raw.socket as TLSSocket) : [];
    if (chain.length > 0 && options.verifier !== undefined) {
      try {
        return { user: (await options.verifier.verify(chain)).user };
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        throw new GatehouseError('GH_ERR_WEB_UNAUTHENTICATED', `client certificate refused: ${message}`);
      }
    }
    throw new GatehouseError('GH_ERR_WEB_UNAUTHENTICATED', "not signed in: open a link from 'gatectl web login'");
  }

  async function signedIn(request: FastifyRequest, need: Need): Promise<WebSession> {
    const { user, session: cookieSession } = await identify(request);
    // A certificate caller gets a session that lives for this request only.
    const session: WebSession = cookieSession ?? { id: '', user, expires: new Date(), csrf: '' };
    let access: Awaited<ReturnType<typeof store.resolveUserAccess>>;
    try {
      access = await store.resolveUserAccess(session.user);
    } catch (err) {
      if (!isGatehouseError(err, 'GH_ERR_STORE_NOT_FOUND')) throw err;
      if (cookieSession) sessions.delete(session.id);
      throw new GatehouseError('GH_ERR_WEB_UNAUTHENTICATED', `user '${session.user}' no longer exists`);
    }
    const lock = await store.isLocked(session.user);
    if (lock !== undefined) {
      if (cookieSession) sessions.delete(session.id);
      throw new GatehouseError(
        'GH_ERR_WEB_FORBIDDEN',
        `user '${session.user}' is locked${lock.message ? `: ${lock.message}` : ''}`,
      );
    }
    if (!computeAuditPermissions(access.roles)[need]) {
      const roles = access.user.roles.join(', ');
      throw new GatehouseError(
        'GH_ERR_WEB_FORBIDDEN',
        `the roles of user '${session.user}' (${roles}) do not grant audit.${need}`,
      );
    }
    if (request.method !== 'GET' && !cookieSession) {
      throw new GatehouseError('GH_ERR_WEB_FORBIDDEN', 'requests that change something need a web sign-in');
    }
    if (
      request.method !== 'GET' &&
      !sameSecret(request.headers['x-gatehouse-csrf'] as string | undefined, session.csrf)
    ) {
      throw new GatehouseError('GH_ERR_WEB_FORBIDDEN', 'missing or wrong x-gatehouse-csrf header');
    }
    return session;
  }

  function answer(reply: FastifyReply, err: unknown): FastifyReply {
    if (isGatehouseError(err, 'GH_ERR_WEB_BAD_REQUEST')) return fail(reply, 400, err.code, err.message);
    // The store refuses a well-formed cursor that it did not make (see audit-query.ts).
    if (err instanceof RangeError && /cursor/.test(err.message)) {
      return fail(reply, 400, 'GH_ERR_WEB_BAD_REQUEST', 'invalid query: cursor: is not a cursor this server made');
    }
    if (isGatehouseError(err, 'GH_ERR_WEB_UNAUTHENTICATED') || isGatehouseError(err, 'GH_ERR_TOKEN_INVALID'))
      return fail(reply, 401, err.code, err.message.replace('join token', 'sign-in token'));
    if (isGatehouseError(err, 'GH_ERR_TOKEN_EXPIRED'))
      return fail(reply, 401, err.code, err.message.replace('join token', 'sign-in token'));
    if (isGatehouseError(err, 'GH_ERR_WEB_FORBIDDEN')) return fail(reply, 403, err.code, err.message);
    if (isGatehouseError(err, 'GH_ERR_WEB_SESSION_NOT_FOUND')) return fail(reply, 404, err.code, err.message);
    log.error({ err }, 'audit API request failed');
    return fail(reply, 500, 'GH_ERR_INTERNAL', 'the request failed inside the proxy; its log has the details');
  }

  /** A route body with the sign-in check and the error mapping around it. */
  const guarded =
    (need: Need, handler: (request: FastifyRequest, reply: FastifyReply, session: WebSession) => Promise<unknown>) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      try {
        const session = await signedIn(request, need);
        reply.header('cache-control', 'no-store');
        return await handler(request, reply, session);
      } catch (err) {
        return answer(reply, err);
      }
    };

  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith(`${AUDIT_API}/`)) return;
    if (request.url.length > MAX_AUDIT_URL) {
      return fail(
        reply,
        400,
        'GH_ERR_WEB_BAD_REQUEST',
        `invalid request: the URL is longer than ${MAX_AUDIT_URL} characters`,
      );
    }
    // Another site's page can't read our answers, but it could send a request: refuse any that
    // says it comes from elsewhere (the cookie is SameSite=Strict too).
    const origin = request.headers.origin;
    if (request.method !== 'GET' && origin !== undefined && origin !== `https://${request.headers.host ?? ''}`) {
      return fail(reply, 403, 'GH_ERR_WEB_FORBIDDEN', `requests from origin ${origin} are not accepted`);
    }
    return undefined;
  });

  app.post(`${AUDIT_API}/login`, async (request, reply) => {
    try {
      const { token } = parse(LoginBodySchema, request.body, 'body');
      const record = await store.consumeToken(token);
      if (record.type !== 'web' || record.user === undefined) {
        throw new GatehouseError('GH_ERR_WEB_UNAUTHENTICATED', `a ${record.type} token cannot sign in to the web app`);
      }
      const access = await store.resolveUserAccess(record.user);
      const permissions = computeAuditPermissions(access.roles);
      if (!permissions.read) {
        log.warn({ user: record.user }, 'web sign-in refused: no audit.read');
        throw new GatehouseError(
          'GH_ERR_WEB_FORBIDDEN',
          `the roles of user '${record.user}' (${access.user.roles.join(', ')}) do not grant audit.read`,
        );
      }
      if ((await store.isLocked(record.user)) !== undefined)
        throw new GatehouseError('GH_ERR_WEB_FORBIDDEN', `user '${record.user}' is locked`);
      const session = sessions.create(record.user, access.sessionOptions.maxSessionTtlMs ?? DEFAULT_WEB_SESSION_TTL_MS);
      log.info({ user: record.user, expires: session.expires.toISOString() }, 'web sign-in');
      return reply
        .header('set-cookie', sessionCookie(session))
        .header('cache-control', 'no-store')
        .send({ user: session.user, expires: session.expires.toISOString(), csrf: session.csrf, permissions });
    } catch (err) {
      if (isGatehouseError(err, 'GH_ERR_STORE_NOT_FOUND'))
        return fail(reply, 401, 'GH_ERR_WEB_UNAUTHENTICATED', err.message);
      return answer(reply, err);
    }
  });

  app.post(
    `${AUDIT_API}/logout`,
    guarded('read', async (_request, reply, session) => {
      sessions.delete(session.id);
      return reply.header('set-cookie', CLEARED_COOKIE).send({ ok: true });
    }),
  );

  app.get(
    `${AUDIT_API}/me`,
    guarded('read', async (_request, _reply, session) => {
      const access = await store.resolveUserAccess(session.user);
      return {
        user: session.user,
        expires: session.expires.toISOString(),
        csrf: session.csrf,
        permissions: computeAuditPermissions(access.roles),
      };
    }),
  );

  app.get(
    `${AUDIT_API}/sessions`,
    guarded('read', async (request) => audit.sessions(defined(parse(SessionsQuerySchema, request.query, 'query')))),
  );

  app.get(
    `${AUDIT_API}/events`,
    guarded('read', async (request, reply) => {
      const { format, ...filter } = parse(EventsQuerySchema, request.query, 'query');
      const page = await audit.searchPage(defined(filter));
      if (format === 'jsonl' || format === 'csv')
        return sendExport(reply, page.items, format, 'gatehouse-audit-search');
      return page;
    }),
  );

  app.get(
    `${AUDIT_API}/sessions/:sid/events`,
    guarded('read', async (request, reply) => {
      const sid = parse(SessionIdSchema, (request.params as { sid?: string }).sid, 'session id');
      const { format } = parse(SessionEventsQuerySchema, request.query, 'query');
      const events: AuditEvent[] = [];
      let cursor: string | undefined;
      do {
        const page = await audit.searchPage({ session: sid, order: 'asc', limit: 1000, ...(cursor ? { cursor } : {}) });
        events.push(...page.items);
        cursor = page.next;
      } while (cursor !== undefined && events.length < SESSION_EVENTS_CAP);
      if (format === 'jsonl' || format === 'csv') return sendExport(reply, events, format, `gatehouse-session-${sid}`);
      return { sid, events, truncated: cursor !== undefined };
    }),
  );

  app.get(
    `${AUDIT_API}/verify`,
    guarded('read', async () => audit.verify()),
  );

  app.get(
    `${AUDIT_API}/live`,
    guarded('read', async () => ({
      items: options.live !== undefined ? await options.live.list() : listLiveSessions(options),
    })),
  );

  app.post(
    `${AUDIT_API}/live/:sid/terminate`,
    guarded('terminate', async (request, _reply, session) => {
      const sid = parse(SessionIdSchema, (request.params as { sid?: string }).sid, 'session id');
      const { reason } = parse(TerminateBodySchema, request.body, 'body');
      if (options.live !== undefined) return options.live.terminate(sid, session.user, reason);
      return terminateLiveSession({ ...options, audit }, sid, session.user, reason);
    }),
  );

  return sessions;
}

function sendExport(
  reply: FastifyReply,
  events: readonly AuditEvent[],
  format: 'jsonl' | 'csv',
  name: string,
): FastifyReply {
  const body = format === 'csv' ? toCsv(events) : toJsonl(events);
  return reply
    .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
    .header('content-disposition', `attachment; filename="${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.${format}"`)
    .send(body);
}
