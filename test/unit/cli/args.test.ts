/** The command line: `secbot help [COMMAND]` and `COMMAND --help` show the same per-command text; typos get a suggestion. */
import { describe, expect, test } from 'bun:test';
import { COMMAND_HELP, helpFor, parseArgs, USAGE, UsageError } from '../../../src/cli/args.ts';

describe('help', () => {
  test('secbot help, --help and -h: the overview, which names every command', () => {
    for (const argv of [['help'], ['--help'], ['-h']]) expect(parseArgs(argv).command).toEqual({ kind: 'help', topic: undefined });
    expect(helpFor()).toBe(USAGE);
    for (const cmd of ['all', 'intake', 'results', 'worker', 'migrate', 'config validate', 'check-id', 'help']) expect(USAGE).toContain(`secbot ${cmd}`);
  });

  test.each([
    [['help', 'config', 'validate'], 'config validate'],
    [['config', 'validate', '--help'], 'config validate'],
    [['config', 'validate', '--event', 'x.json', '-h'], 'config validate'],
    [['check-id', '--help'], 'check-id'],
    [['help', 'worker'], 'worker'],
    [['migrate', '-h'], 'migrate'],
  ])('%p → the help of %s', (argv, topic) => {
    const cmd = parseArgs(argv).command;
    expect(cmd).toEqual({ kind: 'help', topic });
    expect(helpFor(topic)).toBe(COMMAND_HELP[topic]!);
    expect(helpFor(topic)).toStartWith(`Usage: secbot ${topic}`);
  });

  test('every command has help with its options', () => {
    expect(helpFor('config validate')).toContain('--event-type');
    expect(helpFor('config validate')).toContain('Exit status');
    expect(helpFor('check-id')).toContain('--prefix');
    expect(helpFor('config')).toBe(COMMAND_HELP['config validate']!);
  });

  test('help for an unknown command says so, with a suggestion', () => {
    expect(() => helpFor('chek-id')).toThrow(new UsageError('no command "chek-id"; did you mean "check-id"?'));
  });
});

describe('typos', () => {
  test('an unknown command or option gets a suggestion', () => {
    expect(() => parseArgs(['intak'])).toThrow('unknown command "intak"; did you mean "intake"?');
    expect(() => parseArgs(['config', 'validate', '--evnt', 'x.json'])).toThrow('unknown option --evnt; did you mean "event"?');
  });
});
