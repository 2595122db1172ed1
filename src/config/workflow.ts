/**
 * The workflow configuration (seed §2.2): `components` (which handler, its config, which env variables it reads)
 * and `jobs` (rules → scans → outputs → notifications). Validation collects every problem with its exact place in
 * the file, so one run of `secbot config validate` shows the operator all there is to fix.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../core/errors.ts';
import { configuredUrlProblem } from '../core/urls.ts';
import type { EnvParam, PluginKind } from '../plugins/types.ts';
import type { EnvMap } from './dotenv.ts';
import { findOverlaps } from './overlap.ts';
import { issueText, suggestion } from './suggest.ts';
import { parseYamlText } from './yaml-text.ts';

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
const componentSchema = z
  .object({
    handler_name: z.string().min(1),
    config: z.record(z.string(), z.unknown()).nullish(),
    env: z.record(z.string(), z.string().min(1)).nullish(),
  })
  .strict();
const jobSchema = z
  .object({
    name: z.string().min(1),
    rules: z.record(z.string(), z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))).default({}),
    scans: nameList,
    outputs: nameList,
    notifications: nameList,
    unscanned: z.enum(['note', 'fail']).default('note'),
  })
  .strict();
const TOP_KEYS = ['version', 'components', 'jobs'];

type RawComponent = z.infer<typeof componentSchema>;
type RawJob = z.infer<typeof jobSchema>;


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

/**
 * Every part is checked on its own, so one typo does not hide the problems of the other components and jobs: a
 * component or job whose shape is wrong is reported and left out of the semantic checks, the rest goes on.
 */
export function parseWorkflow(text: string, catalog: Catalog, env: EnvMap, fileName = 'config.yml'): Workflow {
  const doc = parseYamlText(text, fileName);
  const problems: string[] = [];
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new ConfigError(`${fileName} is invalid:\n  (top level): must be a mapping with version, components and jobs`);
  }
  const top = doc as Record<string, unknown>;
  for (const key of Object.keys(top).filter((k) => !TOP_KEYS.includes(k))) {
    problems.push(`${key}: unknown top-level key (allowed: ${TOP_KEYS.join(', ')})${suggestion(key, TOP_KEYS)}`);
  }
  checkVersion(top.version, problems);
  const rawComponents = shapeOfComponents(top.components, problems);
  const components = resolveComponents(rawComponents, catalog, env, problems);
  const jobs = shapeOfJobs(top.jobs, problems).map(([j, idx]) => resolveJob(j, idx, catalog, top.components, problems));
  const names = new Set<string>();
  jobs.forEach((j, idx) => {
    if (names.has(j.name)) problems.push(`jobs[${idx}].name: "${j.name}" is used by another job`);
    names.add(j.name);
  });
  if (problems.length > 0) throw new ConfigError(`${fileName} is invalid:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return { components, jobs, warnings: findOverlaps(jobs) };
}

function checkVersion(raw: unknown, problems: string[]): void {
  if (raw === undefined || raw === null) return void problems.push('version: missing; this SecBot reads version "1.0"');
  if (typeof raw !== 'string' && typeof raw !== 'number') return void problems.push('version: must be a string such as "1.0"');
  if (!SUPPORTED_VERSIONS.includes(String(raw))) problems.push(`version: "${raw}" is not supported; this SecBot reads version "1.0"`);
}

function shapeOfComponents(raw: unknown, problems: string[]): Record<string, RawComponent> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push('components: missing or not a mapping of component name → {handler_name, config, env}');
    return {};
  }
  const out: Record<string, RawComponent> = {};
  for (const [name, def] of Object.entries(raw)) {
    const c = componentSchema.safeParse(def ?? {});
    if (c.success) out[name] = c.data;
    else for (const i of c.error.issues) problems.push(`${`components.${name}${pathText(i.path, true)}`}: ${issueText(i, componentSchema)}`);
  }
  return out;
}

/** Jobs whose shape is right, with their index in the file. */
function shapeOfJobs(raw: unknown, problems: string[]): [RawJob, number][] {
  if (!Array.isArray(raw) || raw.length === 0) {
    problems.push('jobs: missing or empty; list at least one job (name, rules, scans, outputs, notifications)');
    return [];
  }
  const out: [RawJob, number][] = [];
  raw.forEach((def, idx) => {
    const j = jobSchema.safeParse(def);
    if (j.success) out.push([j.data, idx]);
    else for (const i of j.error.issues) problems.push(`jobs[${idx}]${pathText(i.path, true)}: ${issueText(i, jobSchema)}`);
  });
  return out;
}

function resolveComponents(
  raw: Record<string, RawComponent>,
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
      problems.push(`${at}.handler_name: unknown handler "${c.handler_name}" (known: ${[...catalog.keys()].join(', ')})${suggestion(c.handler_name, catalog.keys())}`);
      continue;
    }
    const cfg = entry.configSchema.safeParse(c.config ?? {});
    if (!cfg.success) {
      for (const i of cfg.error.issues) problems.push(`${at}.config${pathText(i.path, true)}: ${issueText(i, entry.configSchema)}`);
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
      problems.push(`components.${component}.env.${key}: unknown parameter (this handler reads: ${[...known].join(', ') || 'none'})${suggestion(key, known)}`);
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
    const urlProblem = p.url ? configuredUrlProblem(value) : null;
    if (urlProblem) {
      // The value is not quoted: it may hold a password.
      problems.push(`component "${component}": environment variable ${variable} (env.${p.key}, ${p.description}) ${urlProblem}`);
      continue;
    }
    values[p.key] = value;
    if (p.secret) secrets.push(value);
  }
  return { env: values, secrets };
}

function resolveJob(j: RawJob, idx: number, catalog: Catalog, rawComponents: unknown, problems: string[]): Job {
  const declared = typeof rawComponents === 'object' && rawComponents !== null ? (rawComponents as Record<string, unknown>) : {};
  const at = `jobs[${idx}] (${j.name})`;
  for (const list of ['scans', 'outputs', 'notifications'] as const) {
    j[list].forEach((name, i) => {
      // Declared but malformed components were reported already; only a name declared nowhere is unknown here.
      if (!Object.hasOwn(declared, name)) {
        problems.push(`${at}.${list}[${i}]: unknown component "${name}"${suggestion(name, Object.keys(declared))}`);
        return;
      }
      const handler = (declared[name] as { handler_name?: unknown } | null)?.handler_name;
      const kind = typeof handler === 'string' ? catalog.get(handler)?.kind : undefined;
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
      problems.push(`${at}.rules.${input}: unknown input (supported: gitlab)${suggestion(input, ['gitlab'])}`);
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
