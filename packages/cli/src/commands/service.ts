import type { Command } from '../command.js';
import { startCommand } from './start.js';

/** gatehouse commands (running services). */
export const serviceCommands: Command[] = [startCommand];
