import type { Command } from '../command.js';
import { lockCommands } from './locks.js';
import { roleCommands } from './roles.js';
import { tokenCommands } from './tokens.js';
import { userCommands } from './users.js';

/** gatectl commands of the identity area. */
export const identityCommands: Command[] = [...userCommands, ...roleCommands, ...tokenCommands, ...lockCommands];
