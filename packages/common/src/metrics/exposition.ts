// Reads Prometheus exposition text (version 0.0.4) back into samples: for tests, the docs
// check and tools that look at a scrape. Only the sample lines are read; HELP and TYPE give
// the metric family names.
// https://prometheus.io/docs/instrumenting/exposition_formats/

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function unescapeLabel(value: string): string {
  return value.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c));
}

export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1] as string] = unescapeLabel(l[2] as string);
    samples.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return samples;
}

/** The metric families a scrape declares (# TYPE lines). */
export function familiesOf(text: string): Map<string, string> {
  const families = new Map<string, string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) families.set(m[1] as string, m[2] as string);
  return families;
}

/**
 * The sum of the samples named `name` whose labels include `labels` (0 when none): one
 * series when the labels pick it out, a total over the rest otherwise.
 */
export function sumSamples(
  text: string | Sample[],
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number {
  const samples = typeof text === 'string' ? parseExposition(text) : text;
  let sum = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(labels).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  }
  return sum;
}
