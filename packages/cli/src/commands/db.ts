import type { Command } from '../command.js';

/** gatectl commands of the db area. */
export const dbCommands: Command[] = [];
