/** Command-line parsing for the `secbot` binary (no dependency: the grammar is small and fixed). */
import { suggestion } from '../config/suggest.ts';
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
  secbot healthcheck             exits 0 when this container's SecBot answers /healthz (the image's HEALTHCHECK)
  secbot help [COMMAND]          this text, or the help of one command (also: secbot COMMAND --help)
  secbot --version

Options:
  --config PATH     workflow configuration (default: $SECBOT_CONFIG or config.yml)
  --env-dir DIR     where .env.dev and .env.override are read from (default: the working directory)

Settings come from the environment, then .env.override, then .env.dev (see README "Configuration").`;

const COMMON_OPTIONS = `Options:
  --config PATH     workflow configuration (default: $SECBOT_CONFIG or config.yml)
  --env-dir DIR     where .env.dev and .env.override are read from (default: the working directory)`;

const RUN_HELP = (role: string, what: string) => `Usage: secbot ${role} [--config PATH] [--env-dir DIR]

${what}

Reads the settings (environment > .env.override > .env.dev) and config.yml, applies database migrations unless
SECBOT_MIGRATE_ON_START=false, and runs until SIGTERM or SIGINT: then it stops accepting requests, lets running
tasks finish within SECBOT_SHUTDOWN_GRACE_MS and hands the rest back to the queue.

${COMMON_OPTIONS}`;

/** Help of each command, by the words that name it. */
export const COMMAND_HELP: Record<string, string> = {
  all: RUN_HELP('all', 'Runs intake (SECBOT_INTAKE_PORT, 5000), results (SECBOT_RESULTS_PORT, 5001) and a worker in one process.'),
  intake: RUN_HELP('intake', 'Receives GitLab webhooks and system hooks on POST /v1/gitlab/webhook (SECBOT_INTAKE_PORT, 5000).'),
  results: RUN_HELP('results', 'Answers the CI gate, GET /v1/security/gitlab/check/{id}, and the admin API (SECBOT_RESULTS_PORT, 5001).'),
  worker: RUN_HELP('worker', 'Runs scans, outputs and notifications from the task queue; /healthz and /metrics on SECBOT_WORKER_PORT (5002).'),
  migrate: `Usage: secbot migrate [--env-dir DIR]

Applies the database migrations (SECBOT_DATABASE_URL: a SQLite file or a postgres:// URL) and exits. Waits for the
database to come up (about two minutes) before giving up.

${COMMON_OPTIONS}`,
  'config validate': `Usage: secbot config validate [--config PATH] [--env-dir DIR] [--event payload.json [--event-type HEADER]]

Checks the service settings and config.yml and prints every problem of both at once, each with its place (the
variable, or the path in config.yml, with "did you mean" for near misses). Warns about SECBOT_ variables SecBot
does not read and about jobs whose rules can overlap. Secret values are never printed.

With --event, also shows what SecBot would do with that webhook body: the check id, the job it runs, and for every
job the rules that do not match (a rule path the payload lacks is named).
  --event FILE          a webhook body as GitLab sends it (JSON)
  --event-type HEADER   its X-Gitlab-Event header (default "System Hook"), e.g. "Push Hook"

Exit status: 0 valid; 1 the event would be rejected, is invalid, or several jobs match it; 2 configuration errors.

${COMMON_OPTIONS}`,
  'check-id': `Usage: secbot check-id --host H --project P --sha S [--prefix X] [--env-dir DIR]

Prints the security_check_id a pipeline computes for a commit:
  <prefix>_<sha256 hex of "<host>:<project>_<sha>">
  --host H      the GitLab host as CI_SERVER_HOST has it (gitlab.example.com)
  --project P   the project path as CI_PROJECT_PATH (group/project)
  --sha S       the full commit SHA (CI_COMMIT_SHA)
  --prefix X    the instance prefix; default: the prefix of the GITLAB_CONFIGS instance with that host`,
  scan: `Usage: secbot scan [PATH|URL] [--range A..B | --full] [--job NAME] [--config PATH]

Runs the scans of a config.yml job on a local repository (default: the current directory) or a clone URL, without
the service, and prints the findings (masked: rule, file:line, commit) and a verdict.
  --range A..B   the commits to scan (default: those of HEAD on no remote-tracking branch, what a push would send)
  --full         the whole history
  --job NAME     the job whose scans run (default: the scans of every job; gitleaks defaults without a config.yml)

Exit status: 0 clean, 1 findings, 2 error. Usable as a pre-push hook or in CI without the service.`,
  healthcheck: `Usage: secbot healthcheck [--env-dir DIR]

Exits 0 when a SecBot process on this host answers GET /healthz on the intake, results or worker port the settings
name (SECBOT_INTAKE_PORT, SECBOT_RESULTS_PORT, SECBOT_WORKER_PORT; on SECBOT_BIND, loopback for 0.0.0.0), else 1.
It is the container image's HEALTHCHECK, so it works whatever role the container runs (all, intake, results, worker).`,
  help: `Usage: secbot help [COMMAND]

Prints the overview, or the help of one command (the same as secbot COMMAND --help).`,
};

/** The help text for `topic` (words of a command), or the overview. */
export function helpFor(topic?: string): string {
  if (!topic) return USAGE;
  const text = COMMAND_HELP[topic] ?? COMMAND_HELP[topic.split(' ')[0]!];
  if (text) return text;
  if (topic === 'config') return COMMAND_HELP['config validate']!;
  throw new UsageError(`no command "${topic}"${suggestion(topic, Object.keys(COMMAND_HELP))}`);
}

export type Command =
  | { kind: 'run'; modes: ('intake' | 'results' | 'worker')[] }
  | { kind: 'migrate' }
  | { kind: 'validate'; eventFile?: string; eventType?: string }
  | { kind: 'check-id'; host: string; project: string; sha: string; prefix?: string }
  | { kind: 'scan'; target?: string; range?: string; full: boolean; job?: string }
  | { kind: 'healthcheck' }
  | { kind: 'help'; topic?: string }
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
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') help = true;
    else if (a === '--version' || a === '-v') return { command: { kind: 'version' }, envDir: '.' };
    else if (BOOLEAN_FLAGS.has(a)) flags.set(a.slice(2), 'true');
    else if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new UsageError(`option --${name} needs a value`);
      flags.set(name, value);
    } else positional.push(a);
  }
  // `secbot help [COMMAND]` and `secbot COMMAND --help` show the same text.
  if (positional[0] === 'help') return { command: { kind: 'help', topic: positional.slice(1).join(' ') || undefined }, envDir: '.' };
  if (help) return { command: { kind: 'help', topic: positional.join(' ') || undefined }, envDir: '.' };
  const take = (name: string) => {
    const v = flags.get(name);
    flags.delete(name);
    return v;
  };
  const configPath = take('config');
  const envDir = take('env-dir') ?? '.';
  const command = commandOf(positional, take);
  if (flags.size > 0) {
    const name = [...flags.keys()][0]!;
    throw new UsageError(`unknown option --${name}${suggestion(name, KNOWN_OPTIONS)}`);
  }
  return { command, configPath, envDir };
}

const KNOWN_OPTIONS = ['config', 'env-dir', 'event', 'event-type', 'host', 'project', 'sha', 'prefix', 'range', 'full', 'job'];

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
    case 'healthcheck':
      return { kind: 'healthcheck' };
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
      throw new UsageError(`unknown command "${first}"${suggestion(first, ['all', 'intake', 'results', 'worker', 'migrate', 'config', 'check-id', 'scan', 'healthcheck', 'help'])}`);
  }
}
