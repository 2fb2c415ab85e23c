import { type Program, runProgram } from './command.js';

/** Entry used by the bin scripts: runs the program on process.argv and exits with its code. */
export async function main(program: Program): Promise<void> {
  const code = await runProgram(program, process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  });
  process.exitCode = code;
}
