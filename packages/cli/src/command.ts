// A small command dispatcher shared by `gatehouse` and `gatectl`: longest-prefix match on the
// command words, strict option parsing, generated help, and one place that maps failures to
// exit codes (0 ok, 1 failure, 2 usage).
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { GatehouseError, isGatehouseError } from '@gatehouse/common';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;
export type OptionValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

export interface CommandIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
}

export interface CommandContext extends CommandIo {
  readonly values: OptionValues;
  readonly positionals: readonly string[];
}

export interface Command {
  /** The command words, e.g. "users add". */
  readonly name: string;
  readonly summary: string;
  /** What follows the command words in a usage line, e.g. "NAME --roles R1,R2". */
  readonly usage?: string;
  readonly options?: OptionSpec;
  /** Allowed number of positional arguments; defaults to none. */
  readonly positionals?: { readonly min: number; readonly max: number };
  run(ctx: CommandContext): Promise<number | undefined> | number | undefined;
}

export interface Program {
  readonly name: string;
  readonly summary: string;
  readonly version: string;
  readonly globalOptions: OptionSpec;
  readonly globalUsage: string;
  readonly commands: readonly Command[];
}

export class UsageError extends GatehouseError {
  constructor(message: string) {
    super('GH_ERR_USAGE', message);
  }
}

function commandWords(argv: readonly string[]): string[] {
  const words: string[] = [];
  for (const arg of argv) {
    if (arg.startsWith('-')) break;
    words.push(arg);
  }
  return words;
}

function findCommand(program: Program, words: readonly string[]): Command | undefined {
  let best: Command | undefined;
  for (const command of program.commands) {
    const parts = command.name.split(' ');
    if (parts.length <= words.length && parts.every((p, i) => p === words[i])) {
      if (!best || parts.length > best.name.split(' ').length) best = command;
    }
  }
  return best;
}

function formatHelp(program: Program, prefix: readonly string[] = []): string {
  const listed = program.commands.filter((c) => prefix.every((p, i) => c.name.split(' ')[i] === p));
  const width = Math.max(...listed.map((c) => c.name.length), 8);
  const lines = [
    `${program.name} — ${program.summary}`,
    '',
    `Usage: ${program.name} ${program.globalUsage} <command> [options]`,
    '',
    'Commands:',
    ...listed.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    `Run '${program.name} <command> --help' for a command's options.`,
  ];
  return `${lines.join('\n')}\n`;
}

function formatCommandHelp(program: Program, command: Command): string {
  const options = Object.entries(command.options ?? {}).map(([name, spec]) => {
    const arg = spec.type === 'string' ? ` <${name}>` : '';
    return `  --${name}${arg}`;
  });
  const lines = [
    `Usage: ${program.name} ${command.name}${command.usage ? ` ${command.usage}` : ''}`,
    '',
    command.summary,
    ...(options.length > 0 ? ['', 'Options:', ...options] : []),
  ];
  return `${lines.join('\n')}\n`;
}

/** `gatectl --data-dir D users ls` means `gatectl users ls --data-dir D`: global options may lead. */
function hoistGlobalOptions(program: Program, argv: readonly string[]): readonly string[] {
  const hoisted: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i]!;
    const name = arg.startsWith('--') ? arg.slice(2).split('=')[0]! : '';
    const spec = program.globalOptions[name];
    if (spec === undefined) break;
    const takesValue = spec.type === 'string' && !arg.includes('=') && i + 1 < argv.length;
    hoisted.push(...argv.slice(i, takesValue ? i + 2 : i + 1));
    i += takesValue ? 2 : 1;
  }
  if (hoisted.length === 0) return argv;
  // After the command words, before the command's own options (so `-f` keeps its value).
  const rest = argv.slice(i);
  const words = commandWords(rest).length;
  return [...rest.slice(0, words), ...hoisted, ...rest.slice(words)];
}

/**
 * The global --format (table|json) is checked before any command runs, so a typo is a usage
 * error that changes nothing. A command with a --format of its own (auth sign: pem|p12) checks it.
 */
function checkGlobalFormat(program: Program, command: Command, values: OptionValues): void {
  const format = values.format;
  if (format === undefined || program.globalOptions.format === undefined || command.options?.format !== undefined)
    return;
  if (format !== 'table' && format !== 'json')
    throw new UsageError(`--format must be table or json, not '${String(format)}'`);
}

/** Runs one invocation and returns the exit code; never throws. */
export async function runProgram(program: Program, rawArgv: readonly string[], io: CommandIo): Promise<number> {
  const argv = hoistGlobalOptions(program, rawArgv);
  const words = commandWords(argv);
  const wantsHelp = argv.includes('--help') || argv.includes('-h');
  if (argv.length === 0 || (words.length === 0 && wantsHelp)) {
    io.stdout.write(formatHelp(program));
    return 0;
  }
  if (words.length === 0 && argv.includes('--version')) {
    io.stdout.write(`${program.version}\n`);
    return 0;
  }
  const command = findCommand(program, words);
  if (!command) {
    const group = program.commands.some((c) => c.name.split(' ')[0] === words[0]);
    if (group && (words.length === 1 || wantsHelp)) {
      io[wantsHelp ? 'stdout' : 'stderr'].write(formatHelp(program, words.slice(0, 1)));
      return wantsHelp ? 0 : 2;
    }
    const shown = words.length > 0 ? words.join(' ') : argv[0];
    io.stderr.write(`${program.name}: unknown command '${shown}'. Run '${program.name} --help' for the list.\n`);
    return 2;
  }
  if (wantsHelp) {
    io.stdout.write(formatCommandHelp(program, command));
    return 0;
  }
  const rest = argv.slice(command.name.split(' ').length);
  try {
    let parsed: { values: OptionValues; positionals: string[] };
    try {
      parsed = parseArgs({
        args: [...rest],
        options: { ...program.globalOptions, ...command.options },
        allowPositionals: true,
        strict: true,
      }) as { values: OptionValues; positionals: string[] };
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const { min, max } = command.positionals ?? { min: 0, max: 0 };
    if (parsed.positionals.length < min || parsed.positionals.length > max) {
      const usage = `${program.name} ${command.name}${command.usage ? ` ${command.usage}` : ''}`;
      throw new UsageError(
        parsed.positionals.length < min
          ? `missing arguments. Usage: ${usage}`
          : `unexpected argument '${parsed.positionals[max]}'. Usage: ${usage}`,
      );
    }
    checkGlobalFormat(program, command, parsed.values);
    return (await command.run({ ...io, values: parsed.values, positionals: parsed.positionals })) ?? 0;
  } catch (err) {
    if (isGatehouseError(err, 'GH_ERR_USAGE')) {
      io.stderr.write(`${program.name}: ${err.message}\n`);
      return 2;
    }
    const message = err instanceof Error ? err.message : String(err);
    io.stderr.write(`${program.name}: ${message}\n`);
    return 1;
  }
}
