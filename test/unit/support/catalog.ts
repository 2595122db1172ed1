/**
 * A catalog built by hand from the committed plugin definitions (config schemas and env parameters), so these unit
 * tests do not depend on the scanner implementation that registry.ts also imports.
 */
import { parseWorkflow, type Catalog, type Workflow } from '../../../src/config/workflow.ts';
import { slackDefinition } from '../../../src/plugins/notifiers/slack/index.ts';
import { defectDojoDefinition } from '../../../src/plugins/outputs/defectdojo/index.ts';
import { gitleaksConfigSchema } from '../../../src/plugins/scanners/gitleaks/config.ts';

export const CATALOG: Catalog = new Map([
  ['gitleaks', { kind: 'scanner' as const, configSchema: gitleaksConfigSchema, envParams: [] }],
  ['defectdojo', { kind: 'output' as const, configSchema: defectDojoDefinition.configSchema, envParams: defectDojoDefinition.envParams }],
  ['slack', { kind: 'notifier' as const, configSchema: slackDefinition.configSchema, envParams: slackDefinition.envParams }],
]);

/** The variables config.yml's components read, with the values of the shipped .env.dev. */
export const DEV_ENV = {
  DEFECTDOJO__URL: 'https://defectdojo.env.local',
  DEFECTDOJO__TOKEN: 'defectdojo_token',
  DEFECTDOJO__USER: 'defectdojo_username',
  DEFECTDOJO__USER_ID: '10',
  SLACK_TOKEN: 'token_here',
} satisfies Record<string, string>;

export const COMPONENTS_YAML = `
components:
  gitleaks:
    handler_name: gitleaks
  defectdojo:
    handler_name: defectdojo
    env:
      url: DEFECTDOJO__URL
      secret_key: DEFECTDOJO__TOKEN
  slack:
    handler_name: slack
    config:
      channels: [sec]
    env:
      token: SLACK_TOKEN
`;

/** A workflow of the standard components and the given `jobs:` YAML (indented as a top-level key). */
export function workflowWithJobs(jobsYaml: string, env: Record<string, string> = DEV_ENV): Workflow {
  return parseWorkflow(`version: "1.0"\n${COMPONENTS_YAML}\njobs:\n${jobsYaml}`, CATALOG, env);
}

/** Returns the ConfigError message parseWorkflow throws (fails the test when it does not throw). */
export function workflowError(text: string, env: Record<string, string> = DEV_ENV): string {
  try {
    parseWorkflow(text, CATALOG, env);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected parseWorkflow to throw');
}
