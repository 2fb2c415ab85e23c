import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A throwaway certificate authority made with the openssl CLI, so the harness does not depend
 * on the code it tests. Keys are EC P-256.
 */
export interface TestCa {
  readonly dir: string;
  readonly caFile: string;
  readonly caPem: string;
  issue(options: IssueOptions): Promise<IssuedFiles>;
}

export interface IssueOptions {
  readonly name: string;
  readonly subject: string;
  readonly sans?: readonly string[];
  readonly days?: number;
  readonly usage?: 'server' | 'client';
}

export interface IssuedFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`openssl ${args[0]} failed: ${stderr.trim()}`, { cause: err });
  }
}

export async function createTestCa(dir: string, commonName = 'Gatehouse Test CA'): Promise<TestCa> {
  const caKey = join(dir, 'ca.key');
  const caFile = join(dir, 'ca.pem');
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', caKey], dir);
  await openssl(
    ['req', '-x509', '-new', '-key', caKey, '-sha256', '-days', '2', '-subj', `/CN=${commonName}`, '-out', caFile],
    dir,
  );
  return openTestCa(dir, await readFile(caFile, 'utf8'));
}

/** Opens a CA that `createTestCa` made in `dir`, possibly in another process. */
export function openTestCa(dir: string, caPem = readFileSync(join(dir, 'ca.pem'), 'utf8')): TestCa {
  const caKey = join(dir, 'ca.key');
  const caFile = join(dir, 'ca.pem');

  async function issue(options: IssueOptions): Promise<IssuedFiles> {
    const keyFile = join(dir, `${options.name}.key`);
    const csrFile = join(dir, `${options.name}.csr`);
    const certFile = join(dir, `${options.name}.pem`);
    const extFile = join(dir, `${options.name}.ext`);
    const sans = options.sans ?? [];
    const ext = [
      'basicConstraints=CA:FALSE',
      `extendedKeyUsage=${options.usage === 'server' ? 'serverAuth' : 'clientAuth'}`,
      ...(sans.length > 0 ? [`subjectAltName=${sans.join(',')}`] : []),
    ];
    await writeFile(extFile, `${ext.join('\n')}\n`);
    await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyFile], dir);
    await openssl(['req', '-new', '-key', keyFile, '-subj', options.subject, '-out', csrFile], dir);
    await openssl(
      [
        'x509',
        '-req',
        '-in',
        csrFile,
        '-CA',
        caFile,
        '-CAkey',
        caKey,
        '-set_serial',
        `0x${randomBytes(12).toString('hex')}`,
        '-days',
        String(options.days ?? 1),
        '-sha256',
        '-extfile',
        extFile,
        '-out',
        certFile,
      ],
      dir,
    );
    return { certFile, keyFile };
  }

  return { dir, caFile, caPem, issue };
}
