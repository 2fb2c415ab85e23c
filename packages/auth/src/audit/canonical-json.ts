// Canonical JSON for hashing: object keys sorted by UTF-16 code units, no whitespace, numbers
// and strings as ECMAScript JSON.stringify writes them. This is the JSON Canonicalization
// Scheme (RFC 8785) for the values audit events hold, so another implementation (a verifier in
// Go, a PostgreSQL backend) can recompute the same hashes.
// https://www.rfc-editor.org/rfc/rfc8785
import { GatehouseError } from '@gatehouse/common';

export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value))
        throw new GatehouseError('GH_ERR_INTERNAL', 'canonical JSON cannot hold a non-finite number');
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          const v = value[i];
          out += v === undefined ? 'null' : canonicalJson(v);
        }
        return `${out}]`;
      }
      const obj = value as Record<string, unknown>;
      let out = '{';
      let first = true;
      for (const key of Object.keys(obj).sort()) {
        const v = obj[key];
        if (v === undefined) continue;
        if (!first) out += ',';
        first = false;
        out += `${JSON.stringify(key)}:${canonicalJson(v)}`;
      }
      return `${out}}`;
    }
    default:
      throw new GatehouseError('GH_ERR_INTERNAL', `canonical JSON cannot hold a ${typeof value}`);
  }
}
