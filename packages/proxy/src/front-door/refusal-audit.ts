// Logins the proxy refuses itself (a bad, expired or locked certificate, no engine for the
// database, a limit reached after TLS) never reach an engine, so no engine can audit them. The
// proxy records them as failed db.session.start events, like the engine does for its refusals.
// When the certificate itself was refused, the user is the name it claims (its CN), unverified:
// that is what an operator searching for "who tried" needs, and the error says why it failed.
import { randomUUID } from 'node:crypto';
import type { AuditStore } from '@gatehouse/auth';
import {
  type AuditSession,
  createAudit,
  createBatchingSink,
  GatehouseError,
  type Identity,
  isGatehouseError,
  readSubjectNames,
} from '@gatehouse/common';
import type { HandshakeResponse41, MysqlErrorCode } from '@gatehouse/mysql-protocol';
import type { Logger } from 'pino';

/** What the connection knew when it was refused; later steps fill in more. */
export interface RefusedLogin {
  readonly sessionId?: string;
  readonly clientAddr: string;
  readonly chain: readonly Buffer[];
  readonly identity?: Identity;
  readonly response?: HandshakeResponse41;
}

export interface RefusalAudit {
  /** `err` is what failed; `answer` is the ERR the client was sent, recorded as the event's error. */
  record(login: RefusedLogin, err: unknown, answer: { readonly mysql: MysqlErrorCode; readonly message: string }): void;
  /** Delivers what is queued. */
  close(): Promise<void>;
}

/** Event fields hold at most 256 characters; a client chooses these, so they are cut to fit. */
const fit = (text: string): string => (text.length > 256 ? text.slice(0, 256) : text);

function claimedUser(chain: readonly Buffer[]): string {
  const leaf = chain[0];
  if (leaf === undefined || leaf.length === 0) return '';
  try {
    return readSubjectNames(leaf).commonNames[0] ?? '';
  } catch {
    return '';
  }
}

export function createRefusalAudit(options: {
  readonly store: Pick<AuditStore, 'append'>;
  readonly proxyId: string;
  readonly log: Logger;
}): RefusalAudit {
  const sink = createBatchingSink({
    deliver: async (batch) => {
      await options.store.append(batch);
    },
    onError: (err) => options.log.warn({ err }, 'audit append of a refused login failed; retrying'),
  });
  const audit = createAudit({ sink });
  return {
    record(login, err, answer) {
      const { identity, response } = login;
      const session: AuditSession = {
        id: login.sessionId ?? randomUUID(),
        user: fit(identity?.user ?? claimedUser(login.chain)),
        roles: identity?.roles ?? [],
        dbService: identity?.route.dbService ?? '',
        dbUser: fit(response?.username || identity?.route.dbUser || ''),
        dbName: fit(response?.database || identity?.route.dbName || ''),
        clientAddr: login.clientAddr,
        engineId: '',
        proxyId: options.proxyId,
        clientAttributes: response === undefined ? {} : Object.fromEntries(response.attributes),
      };
      const code = isGatehouseError(err) ? err.code : 'GH_ERR_INTERNAL';
      const recorded = Object.assign(new GatehouseError(code, answer.message), {
        errno: answer.mysql.errno,
        sqlState: answer.mysql.sqlState,
      });
      audit.onSessionStart(session, recorded);
    },
    close: () => sink.close(),
  };
}
