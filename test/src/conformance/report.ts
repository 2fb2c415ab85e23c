// The side-by-side table of a conformance run, for a terminal and for docs/conformance.md.
import type { CaseResult } from './conformance-run.js';
import { GATEWAY_POLICIES, KNOWN_DEFECTS } from './policies.js';

export type Verdict = 'same' | 'gateway-only failure' | 'known defect' | 'policy' | 'gateway-only pass' | 'differs';

export function verdictOf(r: CaseResult): Verdict {
  if (r.direct.status === r.gateway.status) return 'same';
  if (r.direct.status === 'pass' && r.gateway.status !== 'pass') {
    if (GATEWAY_POLICIES[r.test]) return 'policy';
    return KNOWN_DEFECTS[r.test] ? 'known defect' : 'gateway-only failure';
  }
  if (r.gateway.status === 'pass') return 'gateway-only pass';
  return 'differs';
}

export function countStatuses(results: readonly CaseResult[]): string {
  const line = (route: 'direct' | 'gateway'): string => {
    const n = (s: string): number => results.filter((r) => r[route].status === s).length;
    return `${route}: ${n('pass')} pass, ${n('fail')} fail, ${n('skip')} skip`;
  };
  return `${results.length} runs (tests × protocols). ${line('direct')}; ${line('gateway')}.`;
}

/** A Markdown table; the terminal prints the same (it reads well as plain text too). */
export function formatTable(results: readonly CaseResult[]): string {
  const rows = results.map((r) => {
    const verdict = verdictOf(r);
    const leaked = r.state.direct.unrestored || r.state.gateway.unrestored ? ' (state not restored)' : '';
    return `| ${r.test} | ${r.protocol} | ${r.direct.status} | ${r.gateway.status} | ${verdict === 'same' ? '' : verdict}${leaked} |`;
  });
  return ['| test | protocol | direct | gateway | note |', '|---|---|---|---|---|', ...rows].join('\n');
}

/** Each gateway-only failure with what mtr said, for the classification in the docs. */
export function formatFailures(results: readonly CaseResult[]): string {
  const failures = results.filter((r) => ['gateway-only failure', 'known defect', 'policy'].includes(verdictOf(r)));
  if (failures.length === 0) return 'No test fails through the gateway only.';
  return failures
    .map((r) => {
      const policy = GATEWAY_POLICIES[r.test];
      const defect = KNOWN_DEFECTS[r.test];
      const why = policy ? ` — policy: ${policy}` : defect ? ` — known defect: ${defect}` : ' — defect';
      const head = `### main.${r.test} (${r.protocol})${why}`;
      return `${head}\n\n\`\`\`\n${r.gateway.detail.split('\n').slice(0, 25).join('\n')}\n\`\`\``;
    })
    .join('\n\n');
}
