import type { Command } from '../command.js';

/** gatectl commands of the identity area. */
export const identityCommands: Command[] = [];
