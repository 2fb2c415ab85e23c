// The kernel's view of this machine's TCP sockets, from /proc/net/tcp{,6}: which established
// connections have the keepalive timer armed. Node cannot read SO_KEEPALIVE back, but an idle
// socket with SO_KEEPALIVE set shows timer 2 (keepalive) in /proc/net/tcp and one without it
// shows 0, so this checks the option really reached the socket.
// https://www.kernel.org/doc/Documentation/networking/proc_net_tcp.txt
import { readFileSync } from 'node:fs';

export interface TcpSocketInfo {
  readonly localPort: number;
  readonly remotePort: number;
  /** 1 = established. */
  readonly state: number;
  /** 0 none, 1 retransmit, 2 keepalive (or another timer), 3 TIME_WAIT, 4 zero-window probe. */
  readonly timer: number;
  /** Time until the timer fires, in ms. */
  readonly timerMs: number;
}

export function listTcpSockets(): TcpSocketInfo[] {
  const out: TcpSocketInfo[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 6) continue;
      const [, local, remote, state, , timer] = f as [string, string, string, string, string, string];
      const [timerKind, when] = timer.split(':') as [string, string];
      out.push({
        localPort: Number.parseInt(local.split(':')[1] ?? '0', 16),
        remotePort: Number.parseInt(remote.split(':')[1] ?? '0', 16),
        state: Number.parseInt(state, 16),
        timer: Number.parseInt(timerKind, 16),
        // In clock ticks (USER_HZ, 100 on Linux).
        timerMs: Number.parseInt(when, 16) * 10,
      });
    }
  }
  return out;
}
