/**
 * Loads settings and the workflow the way every command does, registering secrets with the log redactor. Settings
 * and config.yml are both checked before anything fails, so one run shows every problem of both.
 */
import { loadLayeredEnv } from '../config/dotenv.ts';
import { configPathOf, loadSettings, type Settings, unknownSettingWarnings } from '../config/settings.ts';
import { loadWorkflowFile, type Workflow } from '../config/workflow.ts';
import { ConfigError } from '../core/errors.ts';
import { Redactor } from '../log/logger.ts';
import { catalogOf } from '../plugins/registry.ts';

export interface Loaded {
  settings: Settings;
  workflow: Workflow;
  redactor: Redactor;
  /** Not errors, but probably mistakes (SECBOT_ variables SecBot does not read). */
  warnings: string[];
}

export function loadAll(opts: { envDir: string; configPath?: string }, processEnv = process.env): Loaded {
  const env = loadLayeredEnv(opts.envDir, processEnv);
  const problems: string[] = [];
  const settings = collect(() => loadSettings(env), problems);
  const configPath = opts.configPath ?? settings?.configPath ?? configPathOf(env);
  const workflow = collect(() => loadWorkflowFile(configPath, catalogOf(), env), problems);
  if (!settings || !workflow) throw new ConfigError(problems.join('\n'));
  settings.configPath = configPath;
  const redactor = new Redactor();
  for (const inst of settings.gitlab) redactor.add(inst.webhookSecretToken, inst.authToken);
  redactor.add(settings.adminToken);
  const dbPassword = /^postgres:\/\/[^:@/]+:([^@/]+)@/.exec(settings.databaseUrl)?.[1];
  redactor.add(dbPassword ? decodeURIComponent(dbPassword) : undefined);
  for (const c of workflow.components.values()) redactor.add(...c.secrets);
  return { settings, workflow, redactor, warnings: unknownSettingWarnings(env) };
}

function collect<T>(fn: () => T, problems: string[]): T | undefined {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(err.message);
    return undefined;
  }
}
