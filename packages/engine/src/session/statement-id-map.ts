// After a live migration the client still uses the statement ids its first server gave it, while
// the new server gave the re-prepared statements ids of its own (docs/migration.md). This map
// translates: every COM_STMT_* packet's id, client → server, before anything else reads the
// command; every prepare OK's id, server → client, as it goes out. Ids of statements prepared
// after the move are chosen so they never collide with ids the client already holds.
// https://mariadb.com/kb/en/com_stmt_execute/ (the id is the 4 bytes after the command byte)
import { Command } from '@gatehouse/mysql-protocol';

/** MariaDB's "the statement prepared last" id (COM_STMT_PREPARE and EXECUTE sent together). */
const LAST_PREPARED = 0xffff_ffff;

const ID_COMMANDS: ReadonlySet<number> = new Set([
  Command.StmtExecute,
  Command.StmtSendLongData,
  Command.StmtClose,
  Command.StmtReset,
  Command.StmtFetch,
  Command.StmtBulkExecute,
]);

export class StatementIdMap {
  readonly #toServer = new Map<number, number>();
  readonly #toClient = new Map<number, number>();
  /** Server ids of moved statements whose bound types the new server has not seen yet. */
  readonly #typesToBind = new Map<number, Buffer>();
  /** Where ids for statements prepared after the move start (above every id the client holds). */
  #nextClientId: number;

  constructor(pairs: Iterable<readonly [clientId: number, serverId: number]>) {
    let highest = 0;
    for (const [clientId, serverId] of pairs) {
      this.#toServer.set(clientId, serverId);
      this.#toClient.set(serverId, clientId);
      highest = Math.max(highest, clientId, serverId);
    }
    this.#nextClientId = highest + 1;
  }

  /** A moved statement (server id) whose types the next execute must carry if the client omits them. */
  bindOnNextExecute(serverId: number, types: Buffer): void {
    this.#typesToBind.set(serverId, types);
  }

  /** The types an execute of `serverId` must carry, once: the server knows them afterwards. */
  takeTypesToBind(serverId: number): Buffer | undefined {
    const types = this.#typesToBind.get(serverId);
    if (types !== undefined) this.#typesToBind.delete(serverId);
    return types;
  }

  /** The client's id for a server id (the server's own when it was never mapped). */
  clientIdOf(serverId: number): number {
    return this.#toClient.get(serverId) ?? serverId;
  }

  /** Rewrites the statement id of a COM_STMT_* payload in place (client → server). */
  rewriteCommand(payload: Buffer): void {
    if (payload.length < 5 || !ID_COMMANDS.has(payload[0]!)) return;
    const clientId = payload.readUInt32LE(1);
    if (clientId === LAST_PREPARED) return;
    const serverId = this.#toServer.get(clientId);
    if (serverId !== undefined && serverId !== clientId) payload.writeUInt32LE(serverId, 1);
    // A close forgets the pair; the server forgets the statement too.
    if (payload[0] === Command.StmtClose && serverId !== undefined) {
      this.#toServer.delete(clientId);
      this.#toClient.delete(serverId);
      this.#typesToBind.delete(serverId);
    }
  }

  /**
   * A prepare OK from the server (its whole payload): the new statement gets a client id that
   * no statement of the client uses, and the payload says that id. Returns the payload to send.
   */
  rewritePrepareOk(payload: Buffer): Buffer {
    if (payload.length < 5) return payload;
    const serverId = payload.readUInt32LE(1);
    let clientId = serverId;
    // The server's id is free on the client's side only if no old statement holds it.
    if (this.#toServer.has(serverId) || this.#toClient.has(serverId)) {
      while (this.#toServer.has(this.#nextClientId)) this.#nextClientId++;
      clientId = this.#nextClientId++;
    }
    this.#toServer.set(clientId, serverId);
    this.#toClient.set(serverId, clientId);
    if (clientId === serverId) return payload;
    const out = Buffer.from(payload);
    out.writeUInt32LE(clientId, 1);
    return out;
  }

  /** COM_RESET_CONNECTION / COM_CHANGE_USER: every statement is gone. */
  clear(): void {
    this.#toServer.clear();
    this.#toClient.clear();
    this.#typesToBind.clear();
  }
}
