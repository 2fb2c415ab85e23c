// `gatectl`: the administrator's CLI, in the spirit of Teleport's tctl.
import type { Command, Program } from './command.js';
import { auditCommands } from './commands/audit.js';
import { dbCommands } from './commands/db.js';
import { engineCommands } from './commands/engine.js';
import { identityCommands } from './commands/identity.js';
import { webCommands } from './commands/web.js';
import { VERSION } from './version.js';

export const gatectlCommands: readonly Command[] = [
  ...identityCommands,
  ...dbCommands,
  ...engineCommands,
  ...auditCommands,
  ...webCommands,
];

export function createGatectl(commands: readonly Command[] = gatectlCommands): Program {
  return {
    name: 'gatectl',
    summary: 'administer a Gatehouse cluster',
    version: VERSION,
    globalUsage: '[--config FILE | --data-dir DIR] [--format table|json]',
    globalOptions: {
      config: { type: 'string' },
      'data-dir': { type: 'string' },
      format: { type: 'string' },
    },
    commands,
  };
}
