import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { GatehouseError } from '../errors.js';
import { type GatehouseConfig, GatehouseConfigSchema } from './schema.js';

/** Config errors say where ("proxy.limits.max_connections") and why, one line each. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const path = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
      if (issue.code === 'unrecognized_keys')
        return `${path}: unknown key(s) ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
      return `${path}: ${issue.message}`;
    })
    .join('\n  ');
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** Validates an already-parsed object; relative paths resolve against `baseDir`. */
export function parseConfig(raw: unknown, source = 'config', baseDir = process.cwd()): Readonly<GatehouseConfig> {
  const result = GatehouseConfigSchema.safeParse(raw ?? {});
  if (!result.success) {
    throw new GatehouseError('GH_ERR_CONFIG', `${source} is invalid:\n  ${formatIssues(result.error.issues)}`);
  }
  const config = result.data;
  config.data_dir = isAbsolute(config.data_dir) ? config.data_dir : resolve(baseDir, config.data_dir);
  for (const db of config.engine.databases) {
    if (db.tls.ca_file !== undefined && !isAbsolute(db.tls.ca_file)) db.tls.ca_file = resolve(baseDir, db.tls.ca_file);
  }
  config.engine.hooks = config.engine.hooks.map((file) => (isAbsolute(file) ? file : resolve(baseDir, file)));
  return deepFreeze(config);
}

/** Reads, validates and freezes a gatehouse.yaml. Without a path: the embedded default. */
export async function loadConfig(path?: string): Promise<Readonly<GatehouseConfig>> {
  if (path === undefined) return parseConfig({}, 'the default config');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new GatehouseError('GH_ERR_CONFIG', `cannot read config file ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new GatehouseError('GH_ERR_CONFIG', `${path} is not valid YAML: ${doc.errors[0]?.message ?? 'parse error'}`);
  }
  const baseDir = resolve(path, '..');
  return parseConfig(doc.toJS(), path, baseDir);
}
