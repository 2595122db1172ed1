/**
 * The Dockerfile read as text (no Docker engine here): stages and their pins against the project's own toolchain
 * pins, a final stage that only runs things, a non-root user, a healthcheck that fits every role, OCI labels, and an
 * ENTRYPOINT/CMD the CLI accepts.
 */
import { describe, expect, test } from 'bun:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { commandOf, defaultSettings, read, ROOT, unknownSecbotNames } from './deploy-helpers.ts';

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name: string | null;
  body: Instruction[];
}

/** Comments dropped, `\` continuations joined, one instruction per entry, grouped by FROM. */
function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let cur = '';
  for (const raw of text.split('\n')) {
    if (/^\s*#/.test(raw)) continue;
    const line = raw.trimEnd();
    if (line.endsWith('\\')) {
      cur += line.slice(0, -1) + ' ';
      continue;
    }
    cur += line;
    if (cur.trim()) logical.push(cur.trim().replace(/\s+/g, ' '));
    cur = '';
  }
  const stages: Stage[] = [];
  for (const l of logical) {
    const [, op, args] = /^(\S+)\s*(.*)$/.exec(l)!;
    if (op!.toUpperCase() === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args!)!;
      stages.push({ from: m[1]!, name: m[2] ?? null, body: [] });
    } else {
      if (!stages.length) throw new Error(`${op} before FROM`);
      stages.at(-1)!.body.push({ op: op!.toUpperCase(), args: args! });
    }
  }
  return stages;
}

const text = read('Dockerfile');
const stages = parseDockerfile(text);
const final = stages.at(-1)!;
const of = (stage: Stage, op: string) => stage.body.filter((i) => i.op === op).map((i) => i.args);
const env = Object.fromEntries(
  of(final, 'ENV').flatMap((a) => [...a.matchAll(/([A-Z_][A-Z0-9_]*)=(\S+)/g)].map((m) => [m[1]!, m[2]!])),
);
const settings = defaultSettings();

const BUN_PIN = (JSON.parse(read('scripts/toolchain/package.json')) as { dependencies: { bun: string } }).dependencies.bun;
const GITLEAKS_PIN = /^GITLEAKS_VERSION=(\S+)$/m.exec(read('scripts/setup.sh'))![1]!;

describe('Dockerfile stages and pins', () => {
  test('three stages: gitleaks, build, runtime', () => {
    expect(stages.map((s) => s.name)).toEqual(['gitleaks', 'build', null]);
  });

  test('gitleaks comes from the official image at the version the tests use (scripts/setup.sh)', () => {
    expect(GITLEAKS_PIN).toBe('v8.30.1');
    expect(stages[0]!.from).toBe(`zricethezav/gitleaks:${GITLEAKS_PIN}`);
    expect(of(final, 'COPY')).toContain('--from=gitleaks /usr/bin/gitleaks /usr/local/bin/gitleaks');
    expect(env.SECBOT_GITLEAKS_BIN).toBe('/usr/local/bin/gitleaks');
  });

  test('the build stage uses the Bun of scripts/toolchain/package.json, a frozen lockfile and the project build', () => {
    expect(stages[1]!.from).toBe(`oven/bun:${BUN_PIN}`);
    const runs = of(stages[1]!, 'RUN').join('\n');
    expect(runs).toContain('bun install --frozen-lockfile');
    expect(runs).toContain('bun run build');
    expect(of(final, 'COPY')).toContain('--from=build /app/dist/secbot /app/secbot');
    // Everything the build stage copies exists (and is not excluded by .dockerignore, below).
    for (const c of of(stages[1]!, 'COPY')) for (const src of c.split(' ').slice(0, -1)) expect(existsSync(join(ROOT, src))).toBe(true);
  });

  test('every base image is pinned to a tag, never latest', () => {
    for (const s of stages) {
      expect(s.from).toMatch(/:[A-Za-z0-9][\w.-]*$/);
      expect(s.from).not.toMatch(/:latest$/);
    }
    expect(final.from).toBe('debian:bookworm-slim');
  });
});

describe('Dockerfile runtime stage', () => {
  test('installs only runtime packages from apt, without recommends, and drops the apt lists', () => {
    const run = of(final, 'RUN').find((r) => r.includes('apt-get install'))!;
    expect(run).toContain('--no-install-recommends');
    for (const pkg of ['git', 'ca-certificates', 'util-linux', 'tini']) expect(run.split(' ')).toContain(pkg);
    expect(run).toContain('rm -rf /var/lib/apt/lists/*');
  });

  test('has no build toolchain: no bun, node, npm or go, and copies nothing but the binary from the build stage', () => {
    const body = final.body.map((i) => `${i.op} ${i.args}`).join('\n');
    const withoutStageRefs = body.replace(/--from=build\b/g, '');
    expect(withoutStageRefs).not.toMatch(/\b(bun|bunx|node|nodejs|npm|npx|yarn|golang|go)\b/i);
    const fromBuild = of(final, 'COPY').filter((c) => c.includes('--from=build'));
    expect(fromBuild).toEqual(['--from=build /app/dist/secbot /app/secbot']);
    expect(final.from).not.toContain('bun');
  });

  test('runs as uid 10001, which owns /app/data', () => {
    expect(of(final, 'USER')).toEqual(['10001:10001']);
    const run = of(final, 'RUN').join('\n');
    expect(run).toMatch(/useradd [^\n]*--uid 10001/);
    expect(run).toMatch(/chown -R 10001:10001 \/app\/data/);
    // USER is the last identity switch: nothing after it runs as root.
    const lastUser = final.body.map((i) => i.op).lastIndexOf('USER');
    expect(final.body.slice(lastUser).some((i) => i.op === 'RUN')).toBe(false);
  });

  test('WORKDIR, config.yml and the data paths', () => {
    expect(of(final, 'WORKDIR')).toEqual(['/app']);
    expect(of(final, 'COPY')).toContain('config.yml /app/config.yml');
    expect(env.SECBOT_CACHE_DIR).toBe('/app/data/cache');
    expect(env.SECBOT_DATABASE_URL).toBe('/app/data/secbot.sqlite');
    expect(env.SECBOT_CONFIG).toBe('/app/config.yml');
  });

  test('ENV names are SecBot settings', () => {
    expect(unknownSecbotNames(text)).toEqual([]);
  });

  test('EXPOSE lists the three default ports', () => {
    expect(of(final, 'EXPOSE')).toEqual([`${settings.intakePort} ${settings.resultsPort} ${settings.workerPort}`]);
  });

  test('HEALTHCHECK runs `secbot healthcheck` (every role, the ports the settings name); no curl in the image', () => {
    const hc = of(final, 'HEALTHCHECK');
    expect(hc).toHaveLength(1);
    const cmd = JSON.parse(/CMD (\[.*\])$/.exec(hc[0]!)![1]!) as string[];
    expect(cmd).toEqual(['/app/secbot', 'healthcheck']);
    expect(commandOf(cmd.slice(1))).toEqual({ kind: 'healthcheck' });
    expect(of(final, 'RUN').find((r) => r.includes('apt-get install'))!.split(' ')).not.toContain('curl');
  });

  test('OCI labels: title, description, version (= package.json), revision, created, licenses', () => {
    const labels = Object.fromEntries(of(final, 'LABEL').flatMap((a) => [...a.matchAll(/(org\.opencontainers\.image\.[a-z.]+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!])));
    for (const k of ['title', 'description', 'version', 'revision', 'created', 'licenses']) expect(labels[`org.opencontainers.image.${k}`]).toBeTruthy();
    expect(labels['org.opencontainers.image.licenses']).toBe('MIT');
    const version = /^ARG VERSION=(\S+)$/m.exec(text)![1];
    expect(version).toBe((JSON.parse(read('package.json')) as { version: string }).version);
    expect(labels['org.opencontainers.image.version']).toBe('${VERSION}');
  });

  test('ENTRYPOINT runs the binary under tini; CMD is a mode the CLI accepts', () => {
    const entry = JSON.parse(of(final, 'ENTRYPOINT')[0]!) as string[];
    expect(entry).toEqual(['tini', '--', '/app/secbot']);
    const cmd = JSON.parse(of(final, 'CMD')[0]!) as string[];
    expect(cmd).toEqual(['all']);
    expect(commandOf(cmd)).toEqual({ kind: 'run', modes: ['intake', 'results', 'worker'] });
    // The other roles the same image serves (compose and Kubernetes pass them as the command / args).
    for (const mode of ['intake', 'results', 'worker', 'migrate']) expect(() => commandOf([mode])).not.toThrow();
  });
});

describe('.dockerignore', () => {
  const patterns = read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  // Enough of Docker's matching for these patterns: `*` within a segment, `**/` across, a match covers subpaths.
  const globToRegex = (p: string) =>
    new RegExp(`^${p.replace(/^\//, '').replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*\//g, '\0').replace(/\*/g, '[^/]*').replace(/\0/g, '(.*/)?')}(/.*)?$`);
  const ignored = (path: string) => patterns.some((p) => !p.startsWith('!') && globToRegex(p).test(path));

  test('keeps local artifacts, history and every env file with real tokens out of the context', () => {
    for (const p of ['node_modules', 'scripts/toolchain/node_modules', 'dist', 'data', '.tools', '.git', '.env.override', '.env.dev', 'test', '.test-tmp', 'data/secbot.sqlite']) {
      expect({ p, ignored: ignored(p) }).toEqual({ p, ignored: true });
    }
  });

  test('does not exclude anything the Dockerfile copies', () => {
    const sources = stages.flatMap((s) => of(s, 'COPY').filter((c) => !c.startsWith('--from=')).flatMap((c) => c.split(' ').slice(0, -1)));
    expect(sources.length).toBeGreaterThan(3);
    for (const src of sources) expect({ src, ignored: ignored(src.replace(/\/$/, '')) }).toEqual({ src, ignored: false });
  });
});
