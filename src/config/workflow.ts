/**
 * The workflow configuration (seed §2.2): `components` (which handler, its config, which env variables it reads)
 * and `jobs` (rules → scans → outputs → notifications). Validation collects every problem with its exact place in
 * the file, so one run of `secbot config validate` shows the operator all there is to fix.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../core/errors.ts';
import type { EnvParam, PluginKind } from '../plugins/types.ts';
import type { EnvMap } from './dotenv.ts';
import { findOverlaps } from './overlap.ts';

export interface CatalogEntry {
  kind: PluginKind;
  configSchema: z.ZodType<unknown>;
  envParams: readonly EnvParam[];
}
export type Catalog = ReadonlyMap<string, CatalogEntry>;

export interface ResolvedComponent {
  name: string;
  handlerName: string;
  kind: PluginKind;
  config: unknown;
  env: Record<string, string>;
  /** Env parameter values to keep out of logs. */
  secrets: string[];
}

export interface JobRules {
  gitlab?: Record<string, RegExp>;
}

export interface Job {
  name: string;
  rules: JobRules;
  scans: string[];
  outputs: string[];
  notifications: string[];
  /** Files a scan could not read (binary, over its size limit): listed (`note`) or failing the check (`fail`). */
  unscanned: 'note' | 'fail';
}

export interface Workflow {
  components: ReadonlyMap<string, ResolvedComponent>;
  jobs: Job[];
  warnings: string[];
}

const LIST_KIND: Record<'scans' | 'outputs' | 'notifications', PluginKind> = {
  scans: 'scanner',
  outputs: 'output',
  notifications: 'notifier',
};

const nameList = z.array(z.string().min(1)).default([]);
const fileSchema = z.object({
  version: z.union([z.string(), z.number()]).transform(String),
  components: z.record(
    z.string(),
    z
      .object({
        handler_name: z.string().min(1),
        config: z.record(z.string(), z.unknown()).nullish(),
        env: z.record(z.string(), z.string().min(1)).nullish(),
      })
      .strict(),
  ),
  jobs: z
    .array(
      z.object({
        name: z.string().min(1),
        rules: z.record(z.string(), z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))).default({}),
        scans: nameList,
        outputs: nameList,
        notifications: nameList,
        unscanned: z.enum(['note', 'fail']).default('note'),
      }).strict(),
    )
    .min(1),
});

export const SUPPORTED_VERSIONS = ['1.0', '1'];

export function loadWorkflowFile(path: string, catalog: Catalog, env: EnvMap): Workflow {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ConfigError(`${path}: cannot read the workflow configuration file (set SECBOT_CONFIG or --config)`);
  }
  return parseWorkflow(text, catalog, env, path);
}

export function parseWorkflow(text: string, catalog: Catalog, env: EnvMap, fileName = 'config.yml'): Workflow {
  let doc: unknown;
  try {
    // Duplicate keys are allowed and the last one wins, as seed §2.2 documents.
    doc = parse(text, { uniqueKeys: false });
  } catch (err) {
    throw new ConfigError(`${fileName}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const shape = fileSchema.safeParse(doc);
  if (!shape.success) {
    const lines = shape.error.issues.map((i) => `  ${pathText(i.path) || '(top level)'}: ${i.message}`);
    throw new ConfigError(`${fileName} is invalid:\n${lines.join('\n')}`);
  }
  const problems: string[] = [];
  const file = shape.data;
  if (!SUPPORTED_VERSIONS.includes(file.version)) {
    problems.push(`version: "${file.version}" is not supported; this SecBot reads version "1.0"`);
  }
  const components = resolveComponents(file.components, catalog, env, problems);
  const jobs = file.jobs.map((j, idx) => resolveJob(j, idx, catalog, file.components, problems));
  const names = new Set<string>();
  jobs.forEach((j, idx) => {
    if (names.has(j.name)) problems.push(`jobs[${idx}].name: "${j.name}" is used by another job`);
    names.add(j.name);
  });
  if (problems.length > 0) throw new ConfigError(`${fileName} is invalid:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return { components, jobs, warnings: findOverlaps(jobs) };
}

function resolveComponents(
  raw: z.infer<typeof fileSchema>['components'],
  catalog: Catalog,
  env: EnvMap,
  problems: string[],
): Map<string, ResolvedComponent> {
  const out = new Map<string, ResolvedComponent>();
  for (const [name, c] of Object.entries(raw)) {
    const at = `components.${name}`;
    if (name.includes(':')) {
      problems.push(`${at}: a component name cannot contain ":" (task names such as output:<scan>:<output> use it as a separator)`);
      continue;
    }
    const entry = catalog.get(c.handler_name);
    if (!entry) {
      problems.push(`${at}.handler_name: unknown handler "${c.handler_name}" (known: ${[...catalog.keys()].join(', ')})`);
      continue;
    }
    const cfg = entry.configSchema.safeParse(c.config ?? {});
    if (!cfg.success) {
      for (const i of cfg.error.issues) problems.push(`${at}.config${pathText(i.path, true)}: ${i.message}`);
      continue;
    }
    const resolved = resolveEnv(name, c.env ?? {}, entry.envParams, env, problems);
    out.set(name, { name, handlerName: c.handler_name, kind: entry.kind, config: cfg.data, ...resolved });
  }
  return out;
}

function resolveEnv(
  component: string,
  mapping: Record<string, string>,
  params: readonly EnvParam[],
  env: EnvMap,
  problems: string[],
): { env: Record<string, string>; secrets: string[] } {
  const values: Record<string, string> = {};
  const secrets: string[] = [];
  const known = new Set(params.map((p) => p.key));
  for (const key of Object.keys(mapping)) {
    if (!known.has(key)) {
      problems.push(`components.${component}.env.${key}: unknown parameter (this handler reads: ${[...known].join(', ') || 'none'})`);
    }
  }
  for (const p of params) {
    const variable = mapping[p.key];
    if (!variable) {
      if (p.required) problems.push(`components.${component}.env.${p.key}: missing; name the environment variable that holds ${p.description}`);
      continue;
    }
    const value = env[variable];
    if (value === undefined || value === '') {
      if (p.required) problems.push(`component "${component}": environment variable ${variable} (env.${p.key}, ${p.description}) is not set`);
      continue;
    }
    values[p.key] = value;
    if (p.secret) secrets.push(value);
  }
  return { env: values, secrets };
}

function resolveJob(
  j: z.infer<typeof fileSchema>['jobs'][number],
  idx: number,
  catalog: Catalog,
  rawComponents: z.infer<typeof fileSchema>['components'],
  problems: string[],
): Job {
  const at = `jobs[${idx}] (${j.name})`;
  for (const list of ['scans', 'outputs', 'notifications'] as const) {
    j[list].forEach((name, i) => {
      const raw = rawComponents[name];
      if (!raw) return void problems.push(`${at}.${list}[${i}]: unknown component "${name}"`);
      const kind = catalog.get(raw.handler_name)?.kind;
      if (kind && kind !== LIST_KIND[list]) {
        problems.push(`${at}.${list}[${i}]: "${name}" is a ${kind}, it cannot be listed under ${list}`);
      }
      if (j[list].indexOf(name) !== i) problems.push(`${at}.${list}[${i}]: "${name}" is listed twice`);
    });
  }
  if (j.scans.length === 0) problems.push(`${at}.scans: a job needs at least one scan`);
  if (j.notifications.length > 0 && j.outputs.length === 0) {
    problems.push(`${at}.notifications: notifiers report what outputs produced; add an output`);
  }
  return {
    name: j.name,
    rules: compileRules(j.rules, at, problems),
    scans: j.scans,
    outputs: j.outputs,
    notifications: j.notifications,
    unscanned: j.unscanned,
  };
}

function compileRules(raw: Record<string, Record<string, string | number | boolean>>, at: string, problems: string[]): JobRules {
  const rules: JobRules = {};
  for (const [input, keys] of Object.entries(raw)) {
    if (input !== 'gitlab') {
      problems.push(`${at}.rules.${input}: unknown input (supported: gitlab)`);
      continue;
    }
    const compiled: Record<string, RegExp> = {};
    for (const [key, pattern] of Object.entries(keys)) {
      try {
        compiled[key] = new RegExp(`^(?:${String(pattern)})$`);
      } catch (err) {
        problems.push(`${at}.rules.gitlab.${key}: invalid regular expression: ${(err as Error).message}`);
      }
    }
    rules.gitlab = compiled;
  }
  return rules;
}

function pathText(path: PropertyKey[], leadingDot = false): string {
  const s = path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
  return leadingDot ? s : s.replace(/^\./, '');
}
