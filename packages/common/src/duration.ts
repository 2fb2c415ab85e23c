// Durations as people write them in config and on the command line: "90s", "30m", "8h", "1h30m".
import { GatehouseError } from './errors.js';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;

/** Parses "1h30m" into milliseconds; a bare number is seconds. Throws GH_ERR_CONFIG on junk. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1_000;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < trimmed.length) {
    const start = PART.lastIndex;
    const match = PART.exec(trimmed);
    if (!match || match.index !== start) {
      throw new GatehouseError('GH_ERR_CONFIG', `invalid duration '${text}': use forms like 90s, 30m, 8h or 1h30m`);
    }
    total += Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  }
  if (trimmed.length === 0) throw new GatehouseError('GH_ERR_CONFIG', 'invalid duration: it is empty');
  return total;
}

/** Formats milliseconds the way parseDuration reads them, largest units first ("1h30m"). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = Math.round(ms);
  let out = '';
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
    ['ms', 1],
  ] as const) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out;
}
