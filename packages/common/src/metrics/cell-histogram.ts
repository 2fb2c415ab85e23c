// A histogram for the hot path, served by a prom-client Registry like any other metric.
// prom-client's own Histogram hashes the label object on every observe (about 2 µs a sample,
// measured in bench/src/metrics-bench.ts, five times the engine's own per-command work); here
// a labelled child is a cell resolved once, and observe is a short scan over the bounds and
// three additions on a Float64Array: nothing allocated, no label lookup. Values are turned into
// exposition samples only when Prometheus scrapes. `get()` has the shape prom-client's registry
// and AggregatorRegistry read (type, values with metricName and labels, aggregator).
import type { Registry } from 'prom-client';

export interface HistogramCell {
  observe(seconds: number): void;
}

interface Cell extends HistogramCell {
  readonly labels: Readonly<Record<string, string>>;
  /** Per bucket counts (not cumulative), then +Inf's, then the sum, then the count. */
  readonly data: Float64Array;
}

export interface CellHistogramOptions<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  /** Upper bounds in increasing order. */
  readonly buckets: readonly number[];
  readonly registers: readonly Registry[];
}

export class CellHistogram<L extends string = string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #labelNames: readonly L[];
  readonly #bounds: Float64Array;
  readonly #cells = new Map<string, Cell>();

  constructor(options: CellHistogramOptions<L>) {
    this.name = options.name;
    this.help = options.help;
    this.#labelNames = options.labelNames;
    this.#bounds = Float64Array.from(options.buckets);
    for (const registry of options.registers) registry.registerMetric(this as never);
  }

  /** The cell for these label values (in labelNames order); keep it and observe on it. */
  labels(...values: string[]): HistogramCell {
    if (values.length !== this.#labelNames.length) {
      throw new TypeError(`${this.name} takes ${this.#labelNames.length} label values, got ${values.length}`);
    }
    const key = values.join('\u0000');
    let cell = this.#cells.get(key);
    if (cell === undefined) {
      const labels: Record<string, string> = {};
      this.#labelNames.forEach((name, i) => {
        labels[name] = values[i] as string;
      });
      cell = createCell(labels, this.#bounds);
      this.#cells.set(key, cell);
    }
    return cell;
  }

  /** Records into the unlabelled series (a histogram with no label names). */
  observe(seconds: number): void {
    this.labels().observe(seconds);
  }

  reset(): void {
    for (const cell of this.#cells.values()) cell.data.fill(0);
  }

  async get(): Promise<{
    name: string;
    help: string;
    type: 'histogram';
    aggregator: 'sum';
    values: Array<{ metricName: string; labels: Record<string, string | number>; value: number }>;
  }> {
    const values: Array<{ metricName: string; labels: Record<string, string | number>; value: number }> = [];
    const n = this.#bounds.length;
    for (const cell of this.#cells.values()) {
      let cumulative = 0;
      for (let i = 0; i <= n; i++) {
        cumulative += cell.data[i] as number;
        values.push({
          metricName: `${this.name}_bucket`,
          labels: { ...cell.labels, le: i < n ? (this.#bounds[i] as number) : '+Inf' },
          value: cumulative,
        });
      }
      values.push({ metricName: `${this.name}_sum`, labels: { ...cell.labels }, value: cell.data[n + 1] as number });
      values.push({ metricName: `${this.name}_count`, labels: { ...cell.labels }, value: cell.data[n + 2] as number });
    }
    return { name: this.name, help: this.help, type: 'histogram', aggregator: 'sum', values };
  }
}

function createCell(labels: Readonly<Record<string, string>>, bounds: Float64Array): Cell {
  const n = bounds.length;
  const data = new Float64Array(n + 3);
  return {
    labels,
    data,
    observe(seconds: number): void {
      let i = 0;
      while (i < n && seconds > (bounds[i] as number)) i++;
      data[i] = (data[i] as number) + 1;
      data[n + 1] = (data[n + 1] as number) + seconds;
      data[n + 2] = (data[n + 2] as number) + 1;
    },
  };
}
