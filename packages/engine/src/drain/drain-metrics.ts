// The engine's own view of its state for /metrics (docs/metrics.md): one series per state, 1 for
// the state it is in, as Prometheus exporters show an enum.
import type { EngineState } from '@gatehouse/tunnel';
import { Gauge, type Registry } from 'prom-client';

const STATES: readonly EngineState[] = ['serving', 'draining'];

export function registerDrainMetrics(registry: Registry, state: () => EngineState): void {
  new Gauge({
    name: 'gatehouse_engine_state',
    help: 'The engine state: 1 for the one it is in (serving: takes new sessions; draining: takes none).',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const now = state();
      for (const s of STATES) this.set({ state: s }, s === now ? 1 : 0);
    },
  });
}
