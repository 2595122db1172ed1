/** Loads settings and the workflow the way every command does, registering secrets with the log redactor. */
import { loadLayeredEnv } from '../config/dotenv.ts';
import { loadSettings, type Settings } from '../config/settings.ts';
import { loadWorkflowFile, type Workflow } from '../config/workflow.ts';
import { Redactor } from '../log/logger.ts';
import { catalogOf } from '../plugins/registry.ts';

export interface Loaded {
  settings: Settings;
  workflow: Workflow;
  redactor: Redactor;
}

export function loadAll(opts: { envDir: string; configPath?: string }, processEnv = process.env): Loaded {
  const env = loadLayeredEnv(opts.envDir, processEnv);
  const settings = loadSettings(env);
  if (opts.configPath) settings.configPath = opts.configPath;
  const redactor = new Redactor();
  for (const inst of settings.gitlab) redactor.add(inst.webhookSecretToken, inst.authToken, inst.apiToken);
  redactor.add(settings.adminToken, settings.resultsToken);
  const dbPassword = /^postgres:\/\/[^:@/]+:([^@/]+)@/.exec(settings.databaseUrl)?.[1];
  redactor.add(dbPassword ? decodeURIComponent(dbPassword) : undefined);
  const workflow = loadWorkflowFile(settings.configPath, catalogOf(), env);
  for (const c of workflow.components.values()) redactor.add(...c.secrets);
  return { settings, workflow, redactor };
}
