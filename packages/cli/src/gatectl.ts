// `gatectl`: the administrator's CLI, in the spirit of Teleport's tctl.
import type { Command, Program } from './command.js';
import { VERSION } from './version.js';

/** Commands register here as the parts they drive land. */
export const gatectlCommands: Command[] = [];

export function createGatectl(commands: readonly Command[] = gatectlCommands): Program {
  return {
    name: 'gatectl',
    summary: 'administer a Gatehouse cluster',
    version: VERSION,
    globalUsage: '[--data-dir DIR] [--format table|json]',
    globalOptions: {
      'data-dir': { type: 'string' },
      format: { type: 'string' },
    },
    commands,
  };
}
