export { type Command, type CommandContext, type CommandIo, type Program, runProgram, UsageError } from './command.js';
export { createGatectl, gatectlCommands } from './gatectl.js';
export { createGatehouse, gatehouseCommands } from './gatehouse.js';
export { main } from './main.js';
export { type RunningServices, runServices } from './service/run-services.js';
