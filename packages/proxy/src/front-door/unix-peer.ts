// Reads who connected on a unix socket: SO_PEERCRED through the native addon (native/,
// built by npm install), then /proc/<pid>/exe and /proc/<pid>/cgroup, and the names of the
// uid and gid from /etc/passwd and /etc/group. Without the addon (no compiler at install time,
// not Linux) every peer comes back with `unavailable` set, and the proxy says so once at
// startup; roles that need the credentials then refuse with an ERR that says why.
import { readFile, readlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type { UnixPeer } from '@gatehouse/common';

interface PeerCredentialsAddon {
  peerCredentials(fd: number): { uid: number; gid: number; pid: number };
}

export type PeerCredentialsSupport =
  | { readonly available: true; readonly addon: PeerCredentialsAddon }
  | { readonly available: false; readonly reason: string };

let support: PeerCredentialsSupport | undefined;

/** The addon built by npm install: dist/src/front-door → ../../../native/build. */
const ADDON = '../../../native/build/Release/peer_credentials.node';

/** Loads an addon file; what a proxy without it (or not on Linux) can say about it. */
export function loadPeerCredentials(file: string): PeerCredentialsSupport {
  if (process.platform !== 'linux') {
    return { available: false, reason: `peer credentials are read on Linux only (this is ${process.platform})` };
  }
  try {
    const addon = createRequire(import.meta.url)(file) as PeerCredentialsAddon;
    if (typeof addon.peerCredentials !== 'function') throw new TypeError('it has no peerCredentials function');
    return { available: true, addon };
  } catch (err) {
    return {
      available: false,
      reason: `the peer-credentials addon is not built (${(err as Error).message.split('\n')[0]}); run npm install with a C compiler (Debian: build-essential)`,
    };
  }
}

/** The addon of this installation, loaded once. */
export function peerCredentialsSupport(): PeerCredentialsSupport {
  support ??= loadPeerCredentials(ADDON);
  return support;
}

/** The file descriptor under a net.Socket; libuv exposes it on the handle on unix systems. */
function fdOf(socket: Socket): number | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/** The name of `id` in a passwd or group file (name:x:id:...). */
async function nameOf(file: string, id: number): Promise<string | undefined> {
  try {
    for (const line of (await readFile(file, 'utf8')).split('\n')) {
      const fields = line.split(':');
      if (fields[2] === String(id) && fields[0]) return fields[0];
    }
  } catch {
    // no such file on this host: names are left out
  }
  return undefined;
}

/** The cgroup v2 path ("0::/path"), or the systemd hierarchy's on cgroup v1. */
export function parseCgroup(text: string): string | undefined {
  let v1: string | undefined;
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const hierarchy = line.slice(0, first);
    const controllers = line.slice(first + 1, second);
    const path = line.slice(second + 1);
    if (hierarchy === '0' && controllers === '') return path;
    if (controllers === 'name=systemd') v1 = path;
  }
  return v1;
}

async function optional<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch {
    // the client may be gone, or /proc not readable: the field is left out
    return undefined;
  }
}

/** Who is at the other end of `socket`, a connection accepted on the unix socket at `path`. */
export async function readUnixPeer(socket: Socket, path: string, s = peerCredentialsSupport()): Promise<UnixPeer> {
  if (!s.available) return { socket: path, unavailable: s.reason };
  const fd = fdOf(socket);
  if (fd === undefined) return { socket: path, unavailable: 'the socket has no file descriptor' };
  let cred: { uid: number; gid: number; pid: number };
  try {
    cred = s.addon.peerCredentials(fd);
  } catch (err) {
    return { socket: path, unavailable: (err as Error).message.slice(0, 500) };
  }
  const [user, group, exe, cgroup] = await Promise.all([
    nameOf('/etc/passwd', cred.uid),
    nameOf('/etc/group', cred.gid),
    optional(() => readlink(`/proc/${cred.pid}/exe`)),
    optional(async () => parseCgroup(await readFile(`/proc/${cred.pid}/cgroup`, 'utf8'))),
  ]);
  return {
    socket: path,
    uid: cred.uid,
    gid: cred.gid,
    pid: cred.pid,
    ...(user !== undefined ? { user } : {}),
    ...(group !== undefined ? { group } : {}),
    ...(exe !== undefined ? { exe } : {}),
    ...(cgroup !== undefined ? { cgroup } : {}),
  };
}
