import type { Command } from '../command.js';
import { authSignCommands } from './auth-sign.js';
import { caCommands } from './ca.js';
import { lockCommands } from './locks.js';
import { roleCommands } from './roles.js';
import { tokenCommands } from './tokens.js';
import { userCommands } from './users.js';

/** gatectl commands of the identity area. */
export const identityCommands: Command[] = [
  ...userCommands,
  ...roleCommands,
  ...tokenCommands,
  ...lockCommands,
  ...caCommands,
  ...authSignCommands,
];
