/**
 * What the deployment tests share: the repository root, the settings' variable names and defaults as SecBot itself
 * defines them, and the CLI's view of a container command. The deployment files are checked against these, never
 * against copies of them, so a renamed variable or a changed default port fails here instead of in production.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, type Command } from '../../../src/cli/args.ts';
import { parseDotenv, type EnvMap } from '../../../src/config/dotenv.ts';
import { loadSettings, type Settings } from '../../../src/config/settings.ts';

export const ROOT = join(import.meta.dir, '..', '..', '..');
export const read = (rel: string) => readFileSync(join(ROOT, rel), 'utf8');

/** SECBOT_* names of the settings schema, read from the source (the schema object is not exported). */
export function settingsVariableNames(): Set<string> {
  const src = read('src/config/settings.ts');
  const start = src.indexOf('const settingsSchema = z.object({');
  const end = src.indexOf('\n});', start);
  if (start < 0 || end < 0) throw new Error('settingsSchema not found in src/config/settings.ts');
  const names = [...src.slice(start, end).matchAll(/^\s+([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1]!);
  if (names.length < 10) throw new Error(`only ${names.length} settings found: the extraction is broken`);
  return new Set(names);
}

/** SECBOT_ names deployment files may use that SecBot itself does not read (none: `secbot healthcheck` reads the settings). */
export const DEPLOYMENT_ONLY_VARIABLES = new Set<string>();

/** Names like SECBOT_… anywhere in a text that are neither settings nor deployment-only knobs. */
export function unknownSecbotNames(text: string): string[] {
  const known = settingsVariableNames();
  const used = new Set([...text.matchAll(/\bSECBOT_[A-Z0-9_]+\b/g)].map((m) => m[0]));
  return [...used].filter((n) => !known.has(n) && !DEPLOYMENT_ONLY_VARIABLES.has(n)).sort();
}

export const devEnv = (): EnvMap => parseDotenv(read('.env.dev'), '.env.dev');

/** Settings with every default, as a container without overrides would see them. */
export function defaultSettings(): Settings {
  return loadSettings({ GITLAB_CONFIGS: devEnv().GITLAB_CONFIGS! });
}

/** What `secbot <argv>` would do; throws UsageError for a command the binary would reject. */
export function commandOf(argv: readonly string[]): Command {
  return parseArgs(argv).command;
}

/** The HTTP port a long-running container command listens on (the worker only for health and metrics). */
export function portOfMode(argv: readonly string[], s: Settings = defaultSettings()): number | null {
  const c = commandOf(argv);
  if (c.kind !== 'run') return null;
  if (c.modes.length > 1 || c.modes[0] === 'intake') return s.intakePort;
  return c.modes[0] === 'results' ? s.resultsPort : s.workerPort;
}

/** Token shapes that must never be committed in deployment files (GitLab, Slack, GitHub, AWS, private keys). */
export const REAL_SECRET_PATTERNS: RegExp[] = [
  /glpat-[A-Za-z0-9_-]{10,}/,
  /xox[abpr]-[A-Za-z0-9-]{10,}/,
  /gh[pousr]_[A-Za-z0-9]{20,}/,
  /AKIA[0-9A-Z]{16}/,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
];
