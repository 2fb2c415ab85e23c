// The identity state store: users, roles, provisioning tokens and locks, validated with zod on
// every read and write, over a pluggable backend (files in the data dir by default).
import { join } from 'node:path';
import {
  computeSessionOptions,
  GatehouseError,
  type Lock,
  LockSchema,
  type Role,
  RoleSchema,
  type SessionOptions,
  type Token,
  type TokenType,
  type Traits,
  type User,
  UserSchema,
} from '@gatehouse/common';
import type { ProxyTunnel } from '@gatehouse/common/cluster';
import type { StoreBackend, StoreWatch, WatchOptions } from './backend.js';
import { createFileBackend, type FileBackendOptions } from './file-backend.js';
import { listLiveProxies, type ProxyHeartbeat, registerProxy } from './proxies.js';
import { encodeValue, getTyped, listTyped } from './records.js';
import { type CreatedToken, consumeToken, createToken, listTokens, type TokenInfo } from './tokens.js';

export interface NewUser {
  readonly name: string;
  readonly roles: readonly string[];
  readonly traits?: Traits;
}

export interface UserPatch {
  readonly roles?: readonly string[];
  readonly traits?: Traits;
}

export interface UserAccess {
  readonly user: User;
  /** The user's roles that exist, in the user's order. */
  readonly roles: readonly Role[];
  /** Role names the user refers to that no longer exist (they grant nothing). */
  readonly missingRoles: readonly string[];
  readonly sessionOptions: SessionOptions;
}

export interface Store {
  readonly backend: StoreBackend;
  getUser(name: string): Promise<User | undefined>;
  /** Throws GH_ERR_STORE_NOT_FOUND "user 'x' does not exist". */
  requireUser(name: string): Promise<User>;
  listUsers(filter?: { readonly role?: string }): Promise<User[]>;
  /** Refuses unknown roles (GH_ERR_UNKNOWN_ROLE) and existing users (GH_ERR_STORE_EXISTS). */
  addUser(user: NewUser, now?: Date): Promise<User>;
  updateUser(name: string, patch: UserPatch, now?: Date): Promise<User>;
  removeUser(name: string): Promise<void>;
  /** The user with their roles and the session limits (max_session_ttl caps certificate TTLs). */
  resolveUserAccess(name: string): Promise<UserAccess>;

  getRole(name: string): Promise<Role | undefined>;
  listRoles(): Promise<Role[]>;
  /** Creates a role; with `replace`, overwrites an existing one. Returns whether it was new. */
  putRole(role: Role, options?: { readonly replace?: boolean }): Promise<{ readonly created: boolean }>;
  /** Refuses while users still refer to the role (GH_ERR_STORE_CONFLICT). */
  removeRole(name: string): Promise<void>;

  /** `user` binds a web sign-in token to the person it signs in. */
  createToken(
    options: { readonly type: TokenType; readonly ttlMs: number; readonly user?: string },
    now?: Date,
  ): Promise<CreatedToken>;
  listTokens(now?: Date): Promise<TokenInfo[]>;
  consumeToken(secret: string, now?: Date): Promise<Token>;

  lockUser(
    options: { readonly user: string; readonly message?: string; readonly ttlMs?: number },
    now?: Date,
  ): Promise<Lock>;
  /** Returns false when the user was not locked. */
  unlockUser(user: string): Promise<boolean>;
  listActiveLocks(now?: Date): Promise<Lock[]>;
  isLocked(user: string, now?: Date): Promise<Lock | undefined>;
  /** A proxy's heartbeat: its tunnel address, valid for ttlMs (shared stores only). */
  registerProxy(beat: ProxyHeartbeat, now?: Date): Promise<void>;
  /** Removes a proxy's record (a clean shutdown); false when there was none. */
  removeProxy(id: string): Promise<boolean>;
  /** The proxies whose heartbeat has not expired. */
  listProxies(now?: Date): Promise<ProxyTunnel[]>;

  version(): Promise<string>;
  watch(onChange: () => void, options?: WatchOptions): StoreWatch;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  readonly dataDir: string;
  /** Another backend (e.g. PostgreSQL later); default: files under <dataDir>/state. */
  readonly backend?: StoreBackend;
  readonly file?: Omit<FileBackendOptions, 'dir'>;
}

function notFound(kind: string, name: string): GatehouseError {
  return new GatehouseError('GH_ERR_STORE_NOT_FOUND', `${kind} '${name}' does not exist`);
}

function isActive(lock: Lock, now: Date): boolean {
  return lock.expires === undefined || Date.parse(lock.expires) > now.getTime();
}

function cleanTraits(traits: Traits): Traits {
  const out: { db_users?: string[]; db_names?: string[] } = {};
  if (traits.db_users !== undefined) out.db_users = [...traits.db_users];
  if (traits.db_names !== undefined) out.db_names = [...traits.db_names];
  return out;
}

export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const backend =
    options.backend ?? (await createFileBackend({ ...options.file, dir: join(options.dataDir, 'state') }));

  const getRole = async (name: string) => (await getTyped(backend, RoleSchema, 'roles', name))?.value;
  const getUser = async (name: string) => (await getTyped(backend, UserSchema, 'users', name))?.value;

  async function requireRoles(names: readonly string[]): Promise<void> {
    const missing: string[] = [];
    for (const name of new Set(names)) if ((await backend.get('roles', name)) === undefined) missing.push(name);
    if (missing.length > 0) {
      const list = missing.map((n) => `'${n}'`).join(', ');
      throw new GatehouseError(
        'GH_ERR_UNKNOWN_ROLE',
        `unknown role${missing.length > 1 ? 's' : ''} ${list}: create ${missing.length > 1 ? 'them' : 'it'} first with 'gatectl roles create -f FILE'`,
      );
    }
  }

  async function requireUser(name: string): Promise<User> {
    const user = await getUser(name);
    if (user === undefined) throw notFound('user', name);
    return user;
  }

  return {
    backend,
    getUser,
    requireUser,

    async listUsers(filter = {}) {
      const users = await listTyped(backend, UserSchema, 'users');
      return filter.role === undefined ? users : users.filter((u) => u.roles.includes(filter.role as string));
    },

    async addUser(input, now = new Date()) {
      const user = encodeValue(
        UserSchema,
        {
          name: input.name,
          roles: [...input.roles],
          traits: cleanTraits(input.traits ?? {}),
          created: now.toISOString(),
          updated: now.toISOString(),
        },
        `user '${input.name}'`,
      );
      // Under the lock so a concurrent `roles rm` cannot remove a role between check and create.
      return backend.withLock(async () => {
        await requireRoles(user.roles);
        if ((await backend.create('users', user.name, user)) === undefined) {
          throw new GatehouseError(
            'GH_ERR_STORE_EXISTS',
            `user '${user.name}' already exists; use 'gatectl users update'`,
          );
        }
        return user;
      });
    },

    async updateUser(name, patch, now = new Date()) {
      return backend.withLock(async () => {
        const current = await getTyped(backend, UserSchema, 'users', name);
        if (current === undefined) throw notFound('user', name);
        const traits = { ...current.value.traits, ...cleanTraits(patch.traits ?? {}) };
        const next = encodeValue(
          UserSchema,
          {
            ...current.value,
            roles: patch.roles ? [...patch.roles] : current.value.roles,
            traits,
            updated: now.toISOString(),
          },
          `user '${name}'`,
        );
        if (patch.roles) await requireRoles(next.roles);
        await backend.put('users', name, next, current.revision);
        return next;
      });
    },

    async removeUser(name) {
      if (!(await backend.delete('users', name))) throw notFound('user', name);
    },

    async resolveUserAccess(name) {
      const user = await requireUser(name);
      const roles: Role[] = [];
      const missingRoles: string[] = [];
      for (const roleName of user.roles) {
        const role = await getRole(roleName);
        if (role) roles.push(role);
        else missingRoles.push(roleName);
      }
      return { user, roles, missingRoles, sessionOptions: computeSessionOptions(roles) };
    },

    getRole,
    listRoles: () => listTyped(backend, RoleSchema, 'roles'),

    async putRole(input, opts = {}) {
      const role = encodeValue(RoleSchema, input, `role '${(input as { name?: unknown }).name}'`);
      if (await backend.create('roles', role.name, role)) return { created: true };
      if (!opts.replace) {
        throw new GatehouseError(
          'GH_ERR_STORE_EXISTS',
          `role '${role.name}' already exists; use --force to replace it`,
        );
      }
      await backend.put('roles', role.name, role);
      return { created: false };
    },

    async removeRole(name) {
      return backend.withLock(async () => {
        const users = (await listTyped(backend, UserSchema, 'users')).filter((u) => u.roles.includes(name));
        if ((await backend.get('roles', name)) === undefined) throw notFound('role', name);
        if (users.length > 0) {
          const names = users.map((u) => u.name).join(', ');
          throw new GatehouseError(
            'GH_ERR_STORE_CONFLICT',
            `role '${name}' is still used by ${names}; update them first`,
          );
        }
        await backend.delete('roles', name);
      });
    },

    createToken: (opts, now = new Date()) => createToken(backend, opts, now),
    listTokens: (now = new Date()) => listTokens(backend, now),
    consumeToken: (secret, now = new Date()) => consumeToken(backend, secret, now),

    async lockUser(opts, now = new Date()) {
      await requireUser(opts.user);
      const lock = encodeValue(
        LockSchema,
        {
          target: { user: opts.user },
          message: opts.message ?? `user '${opts.user}' is locked by an administrator`,
          ...(opts.ttlMs === undefined ? {} : { expires: new Date(now.getTime() + opts.ttlMs).toISOString() }),
          created: now.toISOString(),
        },
        `lock for '${opts.user}'`,
      );
      // One lock per user: locking again replaces the message and expiry.
      await backend.put('locks', opts.user, lock);
      return lock;
    },

    unlockUser: (user) => backend.delete('locks', user),

    async listActiveLocks(now = new Date()) {
      return (await listTyped(backend, LockSchema, 'locks')).filter((l) => isActive(l, now));
    },

    async isLocked(user, now = new Date()) {
      const lock = (await getTyped(backend, LockSchema, 'locks', user))?.value;
      return lock && isActive(lock, now) ? lock : undefined;
    },

    registerProxy: (beat, now = new Date()) => registerProxy(backend, beat, now),
    removeProxy: (id) => backend.delete('proxies', id),
    listProxies: (now = new Date()) => listLiveProxies(backend, now),

    version: () => backend.version(),
    watch: (onChange, opts) => backend.watch(onChange, opts),
    close: () => backend.close(),
  };
}
