// `gatehouse`: runs the Gatehouse services.
import type { Command, Program } from './command.js';
import { VERSION } from './version.js';

export const gatehouseCommands: Command[] = [];

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
