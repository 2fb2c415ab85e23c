// `gatehouse`: runs the Gatehouse services.
import type { Command, Program } from './command.js';
import { serviceCommands } from './commands/service.js';
import { VERSION } from './version.js';

export const gatehouseCommands: readonly Command[] = [...serviceCommands];

export function createGatehouse(commands: readonly Command[] = gatehouseCommands): Program {
  return {
    name: 'gatehouse',
    summary: 'identity-aware access gateway for MySQL and MariaDB',
    version: VERSION,
    globalUsage: '',
    globalOptions: {},
    commands,
  };
}
