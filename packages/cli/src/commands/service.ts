import type { Command } from '../command.js';

/** gatehouse commands (running services). */
export const serviceCommands: Command[] = [];
