// Runs one test of MariaDB's own suite with mariadb-test-run against an external server
// (`--extern`). The extern options become the [client] section of the my.cnf that mtr writes
// for mariadb-test, so host, port, protocol and the ssl-* files reach every connection a test
// opens (`connect (con1,localhost,root,,)` included).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** Where Debian's mariadb-test package puts mariadb-test-run and the suites. */
const MTR_DIRS = ['/usr/share/mysql/mysql-test', '/usr/share/mariadb/mariadb-test', '/usr/local/mysql/mysql-test'];

export function findMtrDir(): string {
  const dir = MTR_DIRS.find((d) => existsSync(join(d, 'mariadb-test-run.pl')));
  if (!dir) throw new Error("mariadb-test-run is not installed: run 'apt-get install -y mariadb-test'");
  return dir;
}

export type MtrStatus = 'pass' | 'fail' | 'skip';

export interface MtrOutcome {
  readonly status: MtrStatus;
  /** Why it failed or was skipped: mtr's reason, or the tail of its report. */
  readonly detail: string;
}

export interface MtrTarget {
  /** The options for the [client] section: host, port, protocol, ssl-*, user. */
  readonly extern: Readonly<Record<string, string>>;
  /** mtr's var directory (its logs and my.cnf); reused by every run on this target. */
  readonly vardir: string;
}

const RESULT_LINE = /^main\.(\S+)\s+(?:'[^']*'\s+)?\[ (pass|fail|skipped|disabled) \]\s*(.*)$/m;

export function runMtrTest(mtrDir: string, test: string, target: MtrTarget, ps: boolean): Promise<MtrOutcome> {
  mkdirSync(join(target.vardir, 'tmp'), { recursive: true });
  mkdirSync(join(target.vardir, 'log'), { recursive: true });
  const args = [
    join(mtrDir, 'mariadb-test-run.pl'),
    ...Object.entries(target.extern).flatMap(([k, v]) => ['--extern', `${k}=${v}`]),
    `--vardir=${target.vardir}`,
    `--tmpdir=${join(target.vardir, 'tmp')}`,
    '--retry=0',
    '--max-test-fail=0',
    '--testcase-timeout=3',
    '--nowarnings',
    ...(ps ? ['--ps-protocol'] : []),
    `main.${test}`,
  ];
  return new Promise((resolve) => {
    execFile('perl', args, { cwd: mtrDir, maxBuffer: 64 * 1024 * 1024 }, (_err, stdout, stderr) => {
      const out = `${stdout}${stderr}`;
      const m = RESULT_LINE.exec(out);
      if (!m) {
        resolve({ status: 'fail', detail: lastLines(out, 15) });
        return;
      }
      const word = m[2];
      if (word === 'pass') resolve({ status: 'pass', detail: '' });
      else if (word === 'skipped' || word === 'disabled') resolve({ status: 'skip', detail: (m[3] ?? '').trim() });
      else resolve({ status: 'fail', detail: failureDetail(out) });
    });
  });
}

function lastLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

/** The part of mtr's report that says what went wrong: the mysqltest error or the diff. */
function failureDetail(out: string): string {
  const lines = out.split('\n');
  const start = lines.findIndex((l) => /\[ fail \]/.test(l));
  const end = lines.findIndex((l, i) => i > start && /^ - saving|^-{20,}/.test(l));
  return lines
    .slice(start + 1, end > start ? end : start + 40)
    .join('\n')
    .trim();
}
