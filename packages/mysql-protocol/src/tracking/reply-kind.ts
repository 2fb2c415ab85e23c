// How the server answers each command, so the tracker knows what the reply looks like.
// https://mariadb.com/kb/en/4-server-response-packets/
import { Command } from '../wire/constants.js';

export const ReplyKind = {
  /** Text results: OK, ERR, LOCAL INFILE request or result sets, maybe several. */
  Query: 0,
  /** Binary results, possibly a cursor instead of rows. */
  Execute: 1,
  /** Binary rows then EOF/OK. */
  Fetch: 2,
  Prepare: 3,
  FieldList: 4,
  /** One raw string packet. */
  Statistics: 5,
  /** One OK, EOF or ERR packet. */
  Simple: 6,
  /** Nothing at all. */
  None: 7,
  /** Events until EOF or ERR. */
  Binlog: 8,
  /** OK/ERR, possibly after auth switch / more-data rounds with the client. */
  ChangeUser: 9,
} as const;
export type ReplyKind = (typeof ReplyKind)[keyof typeof ReplyKind];

export function replyKindOf(command: number): ReplyKind {
  switch (command) {
    case Command.Query:
    case Command.ProcessInfo:
      return ReplyKind.Query;
    case Command.StmtExecute:
    case Command.StmtBulkExecute:
      return ReplyKind.Execute;
    case Command.StmtFetch:
      return ReplyKind.Fetch;
    case Command.StmtPrepare:
      return ReplyKind.Prepare;
    case Command.FieldList:
      return ReplyKind.FieldList;
    case Command.Statistics:
      return ReplyKind.Statistics;
    case Command.Quit:
    case Command.StmtClose:
    case Command.StmtSendLongData:
      return ReplyKind.None;
    case Command.BinlogDump:
    case Command.BinlogDumpGtid:
      return ReplyKind.Binlog;
    case Command.ChangeUser:
      return ReplyKind.ChangeUser;
    default:
      // Every other command, known or not, gets one OK, EOF or ERR ("unknown command").
      return ReplyKind.Simple;
  }
}
