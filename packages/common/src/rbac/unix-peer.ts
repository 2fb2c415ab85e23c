// Unix peer credentials: who is at the other end of a client connection on the proxy's unix
// socket, as the kernel says (SO_PEERCRED: uid, gid, pid) plus what the proxy read from /proc
// for that pid (executable, cgroup) and the names of the uid and gid on the proxy's host.
// The proxy sends it to the engine in the stream header; the engine records it in the audit
// log and checks the roles' unix_peers rules with it, in addition to the certificate.
import { z } from 'zod';
import { compileGlob } from './glob.js';

const id = z.int().min(0).max(0xffff_ffff);

export const UnixPeerSchema = z.strictObject({
  /** The unix socket the client connected to. */
  socket: z.string().max(1024),
  uid: id.optional(),
  gid: id.optional(),
  pid: z.int().min(0).max(0x7fff_ffff).optional(),
  /** The uid's and gid's names on the proxy's host, when it has them. */
  user: z.string().max(256).optional(),
  group: z.string().max(256).optional(),
  /** /proc/<pid>/exe: the client's executable. */
  exe: z.string().max(4096).optional(),
  /** The client's cgroup (v2 path, or the systemd hierarchy's on v1), e.g. /system.slice/backup.service. */
  cgroup: z.string().max(4096).optional(),
  /** Why the credentials are missing (the proxy has no peer-credentials support). */
  unavailable: z.string().max(512).optional(),
});

export type UnixPeer = z.infer<typeof UnixPeerSchema>;

/** One entry of `unix_peers`: every field given must match. Names, cgroup and exe may be globs. */
export const UnixPeerRuleSchema = z
  .strictObject({
    uid: id.optional(),
    gid: id.optional(),
    user: z.string().min(1).optional(),
    group: z.string().min(1).optional(),
    cgroup: z.string().min(1).optional(),
    exe: z.string().min(1).optional(),
  })
  .refine((r) => Object.keys(r).length > 0, {
    message: 'a unix_peers entry needs at least one of uid, gid, user, group, cgroup, exe',
  });

export type UnixPeerRule = z.infer<typeof UnixPeerRuleSchema>;

function trimSlashes(path: string): string {
  return path.replace(/^\/+|\/+$/g, '');
}

/** A cgroup rule matches the peer's cgroup or any cgroup below it; leading slashes do not matter. */
function matchesCgroup(rule: string, cgroup: string): boolean {
  const want = trimSlashes(rule);
  const have = trimSlashes(cgroup);
  return compileGlob(want)(have) || have.startsWith(`${want}/`);
}

export function matchesUnixPeerRule(rule: UnixPeerRule, peer: UnixPeer): boolean {
  if (rule.uid !== undefined && peer.uid !== rule.uid) return false;
  if (rule.gid !== undefined && peer.gid !== rule.gid) return false;
  if (rule.user !== undefined && (peer.user === undefined || !compileGlob(rule.user)(peer.user))) return false;
  if (rule.group !== undefined && (peer.group === undefined || !compileGlob(rule.group)(peer.group))) return false;
  if (rule.cgroup !== undefined && (peer.cgroup === undefined || !matchesCgroup(rule.cgroup, peer.cgroup)))
    return false;
  if (rule.exe !== undefined && (peer.exe === undefined || !compileGlob(rule.exe)(peer.exe))) return false;
  return true;
}

/** "uid 0 (root), gid 0, pid 42, cgroup /user.slice" for messages. */
export function describeUnixPeer(peer: UnixPeer): string {
  const parts: string[] = [];
  if (peer.uid !== undefined) parts.push(`uid ${peer.uid}${peer.user !== undefined ? ` (${peer.user})` : ''}`);
  if (peer.gid !== undefined) parts.push(`gid ${peer.gid}${peer.group !== undefined ? ` (${peer.group})` : ''}`);
  if (peer.pid !== undefined) parts.push(`pid ${peer.pid}`);
  if (peer.exe !== undefined) parts.push(`exe ${peer.exe}`);
  if (peer.cgroup !== undefined) parts.push(`cgroup ${peer.cgroup}`);
  return parts.join(', ');
}

export function describeUnixPeerRule(rule: UnixPeerRule): string {
  return `{ ${Object.entries(rule)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ')} }`;
}

export interface UnixPeerRoles {
  readonly name: string;
  readonly allow: readonly UnixPeerRule[] | undefined;
  readonly deny: readonly UnixPeerRule[] | undefined;
}

export type UnixPeerDecision = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

/**
 * Checks the unix_peers rules of `granting` (the roles that granted the session) and the deny
 * rules of `all` the user's roles. A role with allow.unix_peers admits only a client on a
 * unix socket whose credentials match one entry; a role without it is not narrowed. The
 * certificate is checked before this and is always required.
 */
export function checkUnixPeers(
  all: readonly UnixPeerRoles[],
  granting: readonly UnixPeerRoles[],
  peer: UnixPeer | undefined,
): UnixPeerDecision {
  const known = peer !== undefined && peer.uid !== undefined;
  for (const role of all) {
    if (!known || role.deny === undefined) continue;
    const hit = role.deny.find((rule) => matchesUnixPeerRule(rule, peer));
    if (hit !== undefined) {
      return {
        allowed: false,
        reason: `role '${role.name}' denies unix peer ${describeUnixPeer(peer)} (deny.unix_peers ${describeUnixPeerRule(hit)})`,
      };
    }
  }
  const reasons: string[] = [];
  for (const role of granting) {
    if (role.allow === undefined) return { allowed: true };
    if (peer === undefined) {
      reasons.push(
        `role '${role.name}' admits only clients on the proxy's unix socket (allow.unix_peers), and this one came over TCP`,
      );
    } else if (!known) {
      reasons.push(
        `role '${role.name}' requires unix peer credentials (allow.unix_peers), but the proxy could not read them: ${peer.unavailable ?? 'unknown reason'}`,
      );
    } else if (role.allow.some((rule) => matchesUnixPeerRule(rule, peer))) {
      return { allowed: true };
    } else {
      reasons.push(
        `role '${role.name}' does not admit unix peer ${describeUnixPeer(peer)} (allow.unix_peers: ${role.allow.map(describeUnixPeerRule).join(', ')})`,
      );
    }
  }
  return { allowed: false, reason: reasons.join('; ') };
}
