import type { Command } from '../command.js';

/** gatectl commands of the audit area. */
export const auditCommands: Command[] = [];
