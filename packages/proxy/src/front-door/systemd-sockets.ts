// systemd socket activation (sd_listen_fds(3)): when the proxy is started by a .socket unit,
// systemd has already bound the MySQL port and passes it as file descriptor 3 onward, with
// LISTEN_PID naming us, LISTEN_FDS the count and LISTEN_FDNAMES their names (the unit's
// FileDescriptorName=). The listener adopts the descriptor instead of binding mysql_listen, so
// the port is open before the proxy starts and connections made meanwhile wait in its backlog.
// https://www.freedesktop.org/software/systemd/man/latest/sd_listen_fds.html

/** The first descriptor systemd passes (SD_LISTEN_FDS_START). */
const LISTEN_FDS_START = 3;

export interface ActivatedSocket {
  readonly fd: number;
  readonly name: string;
}

/** The descriptors systemd passed to this process, or none when it was not socket-activated. */
export function readActivatedSockets(env: NodeJS.ProcessEnv = process.env, pid = process.pid): ActivatedSocket[] {
  // Descriptors meant for another process (a parent that exec'd us with its environment) are not ours.
  if (env.LISTEN_PID === undefined || Number(env.LISTEN_PID) !== pid) return [];
  const count = Number(env.LISTEN_FDS);
  if (!Number.isInteger(count) || count <= 0 || count > 64) return [];
  const names = (env.LISTEN_FDNAMES ?? '').split(':');
  return Array.from({ length: count }, (_, i) => ({ fd: LISTEN_FDS_START + i, name: names[i] || 'unknown' }));
}

/**
 * The socket for the MySQL listener: the one named `mysql`, else the only one passed (a unit
 * without FileDescriptorName=). Several unnamed descriptors are ambiguous and are not used.
 */
export function pickMysqlSocket(sockets: readonly ActivatedSocket[]): ActivatedSocket | undefined {
  const named = sockets.find((s) => s.name === 'mysql');
  if (named !== undefined) return named;
  return sockets.length === 1 ? sockets[0] : undefined;
}
