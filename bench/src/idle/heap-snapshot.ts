// A V8 heap snapshot (.heapsnapshot, as written by v8.writeHeapSnapshot) summed by what each
// object is: its type and constructor (objects), function name (closures) or internal name
// (hidden, native, arrays). Strings and code are summed by type only: their names are their
// contents. Enough to diff two snapshots of one process and see what N more sessions hold.
// Format: https://github.com/v8/v8/blob/main/include/v8-profiler.h (HeapSnapshot JSON)
import { readFileSync } from 'node:fs';

export interface HeapGroup {
  readonly key: string;
  count: number;
  bytes: number;
}

interface SnapshotJson {
  readonly snapshot: {
    readonly meta: { readonly node_fields: string[]; readonly node_types: [string[], ...unknown[]] };
  };
  readonly nodes: number[];
  readonly strings: string[];
}

/** Types whose name says nothing about what holds them (a string's name is its text). */
const TYPE_ONLY = new Set(['string', 'concatenated string', 'sliced string', 'code', 'number', 'bigint', 'symbol']);

export function summarizeHeapSnapshot(file: string): Map<string, HeapGroup> {
  const json = JSON.parse(readFileSync(file, 'utf8')) as SnapshotJson;
  const fields = json.snapshot.meta.node_fields;
  const types = json.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const groups = new Map<string, HeapGroup>();
  const nodes = json.nodes;
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + typeAt] as number] ?? 'unknown';
    const name = TYPE_ONLY.has(type) ? '' : (json.strings[nodes[i + nameAt] as number] ?? '');
    // Closures' names can be long source snippets; the first line is enough to find them.
    const key = `${type}:${name.split('\n')[0]?.slice(0, 80) ?? ''}`;
    let group = groups.get(key);
    if (group === undefined) {
      group = { key, count: 0, bytes: 0 };
      groups.set(key, group);
    }
    group.count++;
    group.bytes += nodes[i + sizeAt] as number;
  }
  return groups;
}

/** What `after` holds more than `before`, per group, largest first. */
export function diffHeapSummaries(before: Map<string, HeapGroup>, after: Map<string, HeapGroup>): HeapGroup[] {
  const out: HeapGroup[] = [];
  for (const [key, a] of after) {
    const b = before.get(key);
    out.push({ key, count: a.count - (b?.count ?? 0), bytes: a.bytes - (b?.bytes ?? 0) });
  }
  for (const [key, b] of before) if (!after.has(key)) out.push({ key, count: -b.count, bytes: -b.bytes });
  return out.sort((x, y) => y.bytes - x.bytes);
}
