// One writer per audit directory: two processes appending would fork the hash chain. The lock
// is a file holding the writer's pid; a lock whose process is gone (a crash) is taken over.
// Unlike files/lock-file.ts (held for one update, waited for, stale after a while), this lock is
// held for the writer's whole life, so a second writer fails at once and age never makes it stale.
import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { AuditFailure } from '@gatehouse/common';
import { isProcessAlive } from '../files/lock-file.js';

export const LOCK_FILE = 'LOCK';

/** Takes the lock or throws GH_ERR_AUDIT_LOCKED; resolves to the release function. */
export async function lockAuditDir(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return () => unlink(path).catch(() => undefined);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (Number.isSafeInteger(pid) && pid > 0 && isProcessAlive(pid)) {
      throw new AuditFailure(
        'GH_ERR_AUDIT_LOCKED',
        `process ${pid} is writing the audit log in ${dir}; if it is not, delete ${path}`,
      );
    }
    await unlink(path).catch(() => undefined);
  }
  throw new AuditFailure('GH_ERR_AUDIT_LOCKED', `could not take the audit log lock ${path}`);
}
