/**
 * The typed plugin registries: every handler SecBot knows, by kind, and the components config.yml builds from them.
 * Adding a scanner, output or notifier means adding its definition here.
 */
import type { Settings } from '../config/settings.ts';
import type { Catalog, Workflow } from '../config/workflow.ts';
import { combineJobs, storedJobs } from '../core/job-set.ts';
import type { Logger } from '../log/logger.ts';
import { defectDojoDefinition } from './outputs/defectdojo/index.ts';
import { gitlabDefinition } from './notifiers/gitlab/index.ts';
import { slackDefinition } from './notifiers/slack/index.ts';
import { gitleaksDefinition } from './scanners/gitleaks/index.ts';
import type { AnyDefinition, Notifier, Output, PluginKind, Scanner } from './types.ts';

export const SCANNERS = [gitleaksDefinition] as const;
export const OUTPUTS = [defectDojoDefinition] as const;
export const NOTIFIERS = [slackDefinition, gitlabDefinition] as const;

export const ALL_DEFINITIONS: readonly AnyDefinition[] = [...SCANNERS, ...OUTPUTS, ...NOTIFIERS] as AnyDefinition[];

export function catalogOf(defs: readonly AnyDefinition[] = ALL_DEFINITIONS): Catalog {
  return new Map(defs.map((d) => [d.handlerName, { kind: d.kind, configSchema: d.configSchema, envParams: d.envParams }]));
}

export interface Components {
  scanners: ReadonlyMap<string, Scanner>;
  outputs: ReadonlyMap<string, Output>;
  notifiers: ReadonlyMap<string, Notifier>;
}

export interface ComponentDeps {
  settings: Settings;
  logger: Logger;
  fetch: typeof fetch;
}

/** Instantiates every component of the workflow, each with its own context (no shared state between them). */
export function instantiate(workflow: Workflow, deps: ComponentDeps, defs: readonly AnyDefinition[] = ALL_DEFINITIONS): Components {
  const byKind: Record<PluginKind, Map<string, Scanner | Output | Notifier>> = {
    scanner: new Map(),
    output: new Map(),
    notifier: new Map(),
  };
  for (const c of workflow.components.values()) {
    const def = defs.find((d) => d.handlerName === c.handlerName)!;
    const instance = def.create({
      name: c.name,
      config: c.config,
      env: c.env,
      settings: deps.settings,
      logger: deps.logger.child({ component: c.name }),
      fetch: deps.fetch,
    });
    byKind[def.kind].set(c.name, instance);
  }
  return {
    scanners: byKind.scanner as Map<string, Scanner>,
    outputs: byKind.output as Map<string, Output>,
    notifiers: byKind.notifier as Map<string, Notifier>,
  };
}

/** Notifier components of a job that publish (keep a view of the check in step) rather than announce once. */
export function publishersOf(workflow: Workflow, jobName: string | null, defs: readonly AnyDefinition[] = ALL_DEFINITIONS): string[] {
  const { notifications } = combineJobs(storedJobs(workflow.jobs, jobName));
  return notifications.filter((n) => {
    const handler = workflow.components.get(n)?.handlerName;
    return defs.some((d) => d.handlerName === handler && d.kind === 'notifier' && d.publishes === true);
  });
}
