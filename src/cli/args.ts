/** Command-line parsing for the `secbot` binary (no dependency: the grammar is small and fixed). */
export const USAGE = `secbot — security-check orchestration for GitLab (gitleaks → DefectDojo → Slack, with a CI gate)

Usage:
  secbot all                     intake (:5000) + results (:5001) + a worker in one process
  secbot intake                  webhook receiver (POST /v1/gitlab/webhook)
  secbot results                 gate API (GET /v1/security/gitlab/check/{id}) and admin API
  secbot worker                  runs scans, outputs and notifications from the task queue
  secbot migrate                 applies database migrations and exits
  secbot config validate [--event payload.json --event-type "Push Hook"]
                                 checks settings and config.yml; with --event, shows the job and check id
  secbot check-id --host H --project P --sha S [--prefix X]
                                 prints the security_check_id a pipeline computes
  secbot scan [PATH|URL] [--range A..B | --full] [--job NAME]
                                 runs the job's scans on a local repository or a clone URL, without the service:
                                 prints the findings (masked) and a verdict; exit 0 clean, 1 findings, 2 error.
                                 Default range: the commits of HEAD on no remote-tracking branch (what a push sends)
  secbot --help | --version

Options:
  --config PATH     workflow configuration (default: $SECBOT_CONFIG or config.yml)
  --env-dir DIR     where .env.dev and .env.override are read from (default: the working directory)

Settings come from the environment, then .env.override, then .env.dev (see README "Configuration").`;

export type Command =
  | { kind: 'run'; modes: ('intake' | 'results' | 'worker')[] }
  | { kind: 'migrate' }
  | { kind: 'validate'; eventFile?: string; eventType?: string }
  | { kind: 'check-id'; host: string; project: string; sha: string; prefix?: string }
  | { kind: 'scan'; target?: string; range?: string; full: boolean; job?: string }
  | { kind: 'help' }
  | { kind: 'version' };

export interface Parsed {
  command: Command;
  configPath?: string;
  envDir: string;
}

export class UsageError extends Error {}

const BOOLEAN_FLAGS = new Set(['--full']);

export function parseArgs(argv: readonly string[]): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') return { command: { kind: 'help' }, envDir: '.' };
    if (a === '--version' || a === '-v') return { command: { kind: 'version' }, envDir: '.' };
    if (BOOLEAN_FLAGS.has(a)) {
      flags.set(a.slice(2), 'true');
      continue;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new UsageError(`option --${name} needs a value`);
      flags.set(name, value);
    } else positional.push(a);
  }
  const take = (name: string) => {
    const v = flags.get(name);
    flags.delete(name);
    return v;
  };
  const configPath = take('config');
  const envDir = take('env-dir') ?? '.';
  const command = commandOf(positional, take);
  if (flags.size > 0) throw new UsageError(`unknown option --${[...flags.keys()][0]}`);
  return { command, configPath, envDir };
}

function commandOf(positional: string[], take: (name: string) => string | undefined): Command {
  const [first, second] = positional;
  switch (first) {
    case 'all':
      return { kind: 'run', modes: ['intake', 'results', 'worker'] };
    case 'intake':
    case 'results':
    case 'worker':
      return { kind: 'run', modes: [first] };
    case 'migrate':
      return { kind: 'migrate' };
    case 'config': {
      if (second !== 'validate') throw new UsageError('usage: secbot config validate [--event FILE --event-type HEADER]');
      const eventFile = take('event');
      const eventType = take('event-type');
      if (eventType && !eventFile) throw new UsageError('--event-type needs --event');
      return { kind: 'validate', eventFile, eventType };
    }
    case 'check-id': {
      const host = take('host');
      const project = take('project');
      const sha = take('sha');
      if (!host || !project || !sha) throw new UsageError('usage: secbot check-id --host H --project P --sha S [--prefix X]');
      return { kind: 'check-id', host, project, sha, prefix: take('prefix') };
    }
    case 'scan': {
      if (positional.length > 2) throw new UsageError('usage: secbot scan [PATH|URL] [--range A..B | --full] [--job NAME]');
      return { kind: 'scan', target: second, range: take('range'), full: take('full') === 'true', job: take('job') };
    }
    case undefined:
      throw new UsageError('no command given');
    default:
      throw new UsageError(`unknown command "${first}"`);
  }
}
