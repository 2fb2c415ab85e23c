// Applies a ReloadPlan to the running parts and logs what happened: each applied change, and each
// setting that differs but needs a restart. Nothing here drops a session.
import type { Logger } from '@gatehouse/common';
import type { ReloadPlan } from './reload-plan.js';
import type { RunningServices } from './run-services.js';

/** What a reload may touch: the root logger (children follow its level) and the parts. */
export interface ReloadTarget {
  readonly log: Logger;
  readonly services: Pick<RunningServices, 'proxy' | 'engine'>;
}

/** Applies `plan`; resolves once reloaded databases have had their first health check. */
export async function applyReload(target: ReloadTarget, plan: ReloadPlan): Promise<void> {
  const { log, services } = target;
  for (const path of plan.needsRestart) log.warn({ path }, 'config change needs a restart; ignored until then');
  const pending: Promise<unknown>[] = [];
  for (const change of plan.changes) {
    switch (change.kind) {
      case 'log-level':
        // Child loggers that never set their own level read it from the root.
        log.level = change.level;
        log.info({ level: change.level }, 'log level changed');
        break;
      case 'proxy-limits':
        services.proxy?.setLimits(change.limits);
        log.info({ limits: change.limits }, 'proxy limits changed');
        break;
      case 'query-events':
        services.engine?.setQueryEvents(change.on);
        log.info({ queryEvents: change.on }, 'audit query events switched');
        break;
      case 'hooks': {
        const engine = services.engine;
        if (engine === undefined) break;
        pending.push(
          engine.setHooks(change.files).then(
            () => log.info({ hooks: change.files }, 'hooks reloaded'),
            (err: unknown) => log.error({ err }, 'hooks reload failed; keeping the running hooks'),
          ),
        );
        break;
      }
      case 'databases': {
        const engine = services.engine;
        if (engine === undefined) break;
        log.info({ added: change.added, removed: change.removed, changed: change.changed }, 'engine databases changed');
        pending.push(
          engine
            .setDatabases(change.databases)
            .then((infos) =>
              log.info(
                { databases: infos.map((db) => ({ name: db.name, health: db.health })) },
                'reloaded databases checked',
              ),
            ),
        );
        break;
      }
    }
  }
  await Promise.all(pending);
  log.info(
    { applied: plan.changes.map((c) => c.kind), needsRestart: plan.needsRestart },
    plan.changes.length === 0 && plan.needsRestart.length === 0
      ? 'config reloaded: nothing changed'
      : 'config reloaded',
  );
}
