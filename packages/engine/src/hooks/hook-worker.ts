// The hooks' thread: imports the modules and runs their hooks, so that a hook that blocks (a
// loop that never ends) costs this thread, which the engine terminates and replaces, and never
// the engine's event loop. Messages: {kind:'load', files, generation} → {kind:'loaded', hooks}
// (the hook names some module exports, so the engine skips the others at no cost);
// {kind:'call', id, hook, ctx, arg?} → {kind:'result', id, ...}.
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort } from 'node:worker_threads';
import type { HookCommand, HookDenial, HookName, HookOutcome } from './hook-types.js';

interface Loaded {
  readonly file: string;
  readonly module: Record<string, unknown>;
}

let modules: Loaded[] = [];
const port = parentPort!;

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const AUDIT_KEY = /^[A-Za-z0-9_.-]{1,64}$/;

const HOOK_NAMES: readonly HookName[] = ['onConnect', 'onHandshakeResponse', 'onCommand', 'onResult'];

interface ReadResult {
  deny?: HookDenial;
  backend?: string;
  query?: string;
  audit?: Record<string, string | number | boolean>;
}

/** Checks a hook's return value; throws a message a hook author can act on. */
function readResult(value: unknown, hook: HookName, command: HookCommand | undefined): ReadResult {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object') throw new Error(`returned ${typeof value}, not a hook result object`);
  const r = value as Record<string, unknown>;
  const out: ReadResult = {};
  if (r.deny !== undefined) {
    if (typeof r.deny === 'string') out.deny = { message: r.deny };
    else if (typeof r.deny === 'object' && r.deny !== null && typeof (r.deny as HookDenial).message === 'string') {
      const d = r.deny as HookDenial;
      const errno =
        typeof d.errno === 'number' && Number.isInteger(d.errno) && d.errno >= 1000 && d.errno < 65535
          ? d.errno
          : undefined;
      const sqlState = typeof d.sqlState === 'string' && /^[0-9A-Z]{5}$/.test(d.sqlState) ? d.sqlState : undefined;
      out.deny = {
        message: d.message.slice(0, 512),
        ...(errno !== undefined ? { errno } : {}),
        ...(sqlState !== undefined ? { sqlState } : {}),
      };
    } else throw new Error('deny must be a string or { message, errno?, sqlState? }');
  }
  if (r.backend !== undefined) {
    if (hook !== 'onHandshakeResponse') throw new Error('backend can be chosen only by onHandshakeResponse');
    if (typeof r.backend !== 'string') throw new Error('backend must be a backend uri (string)');
    out.backend = r.backend;
  }
  if (r.query !== undefined) {
    if (hook !== 'onCommand' || command?.kind !== 'query')
      throw new Error('query can be rewritten only by onCommand, for a COM_QUERY');
    if (typeof r.query !== 'string' || r.query.length === 0) throw new Error('query must be a non-empty string');
    if (command.truncated) throw new Error('a query too long to read whole cannot be rewritten');
    out.query = r.query;
  }
  if (r.audit !== undefined) {
    if (typeof r.audit !== 'object' || r.audit === null) throw new Error('audit must be an object of fields');
    const audit: Record<string, string | number | boolean> = {};
    for (const [key, v] of Object.entries(r.audit)) {
      if (!AUDIT_KEY.test(key))
        throw new Error(`audit field name '${key.slice(0, 80)}' must be 1-64 of A-Z a-z 0-9 _ . -`);
      if (typeof v === 'string') audit[key] = v.slice(0, 1024);
      else if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') audit[key] = v;
      else throw new Error(`audit field '${key}' must be a string, a finite number or a boolean`);
    }
    out.audit = audit;
  }
  return out;
}

async function call(id: number, hook: HookName, ctx: unknown, arg: unknown): Promise<void> {
  const audit: Record<string, string | number | boolean> = {};
  let backend: string | undefined;
  let query: string | undefined;
  // onCommand: each module sees the text as the modules before it left it.
  let command = hook === 'onCommand' ? (arg as HookCommand) : undefined;
  for (const { file, module } of modules) {
    const fn = module[hook];
    if (typeof fn !== 'function') continue;
    let result: ReadResult;
    try {
      const value = await (fn as (ctx: unknown, arg: unknown) => unknown)(ctx, command ?? arg);
      // onResult is told; what it returns is not used.
      result = hook === 'onResult' ? {} : readResult(value, hook, command);
    } catch (err) {
      port.postMessage({ kind: 'result', id, ok: false, module: basename(file), message: describe(err).slice(0, 512) });
      return;
    }
    Object.assign(audit, result.audit);
    if (result.backend !== undefined) backend = result.backend;
    if (result.query !== undefined && command !== undefined) {
      query = result.query;
      command = { ...command, text: query };
    }
    if (result.deny !== undefined) {
      const outcome: HookOutcome = { deny: { ...result.deny, module: basename(file) }, audit };
      port.postMessage({ kind: 'result', id, ok: true, outcome });
      return;
    }
  }
  const outcome: HookOutcome = {
    ...(backend !== undefined ? { backend } : {}),
    ...(query !== undefined ? { query } : {}),
    audit,
  };
  port.postMessage({ kind: 'result', id, ok: true, outcome });
}

port.on(
  'message',
  (msg: {
    kind: string;
    files?: string[];
    generation?: number;
    id?: number;
    hook?: HookName;
    ctx?: unknown;
    arg?: unknown;
  }) => {
    if (msg.kind === 'load') {
      // The generation in the URL makes a reload import the file afresh (ESM caches by URL).
      Promise.all(
        (msg.files ?? []).map(async (file) => {
          try {
            return {
              file,
              module: (await import(`${pathToFileURL(file).href}?v=${msg.generation}`)) as Record<string, unknown>,
            };
          } catch (err) {
            throw new Error(`${file}: ${describe(err)}`);
          }
        }),
      ).then(
        (loaded) => {
          modules = loaded;
          const hooks = HOOK_NAMES.filter((name) => loaded.some(({ module }) => typeof module[name] === 'function'));
          port.postMessage({ kind: 'loaded', ok: true, hooks });
        },
        (err: unknown) => port.postMessage({ kind: 'loaded', ok: false, message: describe(err).slice(0, 1024) }),
      );
    } else if (msg.kind === 'call') {
      void call(msg.id!, msg.hook!, msg.ctx, msg.arg);
    }
  },
);
