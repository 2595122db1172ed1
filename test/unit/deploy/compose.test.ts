/**
 * docker-compose.yml (seed §1.2, §1.3) checked against what SecBot actually accepts: every command parses with the
 * CLI, published ports and healthchecks use the settings' default ports, the env files and overrides produce valid
 * settings, and no secret is written into the file.
 */
import { describe, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadSettings } from '../../../src/config/settings.ts';
import {
  commandOf,
  defaultSettings,
  devEnv,
  read,
  REAL_SECRET_PATTERNS,
  ROOT,
  settingsVariableNames,
  unknownSecbotNames,
} from './deploy-helpers.ts';

type Service = {
  build?: string;
  image?: string;
  command?: string[];
  env_file?: unknown;
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  volumes?: string[];
  deploy?: { replicas?: number };
  restart?: string;
  stop_grace_period?: string;
};

const text = read('docker-compose.yml');
// `merge: true`: the file shares the app services' settings through a YAML anchor and `<<` merge keys.
const doc = parse(text, { merge: true }) as { services: Record<string, Service>; volumes?: Record<string, unknown> } & Record<string, unknown>;
const services = doc.services;
const APP = ['migrate', 'intake', 'results', 'worker'] as const;
const LONG_RUNNING = ['intake', 'results', 'worker'] as const;
const settings = defaultSettings();

/** The environment a container of `name` sees: .env.dev (no .env.override in a fresh clone) under `environment:`. */
function containerEnv(name: string): Record<string, string> {
  return { ...devEnv(), ...services[name]!.environment };
}

describe('docker-compose.yml structure', () => {
  test('has exactly the expected services and no top-level name (docker-compose v1 rejects it)', () => {
    expect(Object.keys(services).sort()).toEqual(['db', 'intake', 'migrate', 'results', 'worker']);
    expect(doc).not.toHaveProperty('name');
    for (const key of Object.keys(doc)) expect(['services', 'volumes', 'networks'].includes(key) || key.startsWith('x-')).toBe(true);
  });

  test('all SecBot services are built from this directory into one image', () => {
    const images = new Set(APP.map((s) => services[s]!.image));
    expect(images.size).toBe(1);
    expect([...images][0]).toMatch(/^secbot:/);
    for (const s of APP) expect(services[s]!.build).toBe('.');
  });

  test('every command is one the secbot CLI accepts, and picks the right role', () => {
    expect(commandOf(services.migrate!.command!)).toEqual({ kind: 'migrate' });
    for (const s of LONG_RUNNING) {
      expect(services[s]!.command).toEqual([s]);
      expect(commandOf(services[s]!.command!)).toEqual({ kind: 'run', modes: [s] });
    }
  });

  test('env_file: .env.dev required, .env.override optional (long syntax), both next to the compose file', () => {
    for (const s of APP) {
      expect(services[s]!.env_file).toEqual([
        { path: '.env.dev', required: true },
        { path: '.env.override', required: false },
      ]);
    }
    expect(existsSync(join(ROOT, '.env.dev'))).toBe(true);
    // What operators copy to .env.override; the override itself is git-ignored.
    expect(existsSync(join(ROOT, '.env.override.example'))).toBe(true);
    expect(read('.gitignore')).toMatch(/^\.env\.override$/m);
  });

  test('config.yml is mounted read-only where the image reads it', () => {
    for (const s of APP) expect(services[s]!.volumes).toContain('./config.yml:/app/config.yml:ro');
  });

  test('published ports are the settings defaults; the worker publishes none and runs two replicas', () => {
    expect(services.intake!.ports).toEqual([`${settings.intakePort}:${settings.intakePort}`]);
    expect(services.results!.ports).toEqual([`${settings.resultsPort}:${settings.resultsPort}`]);
    expect(services.worker!.ports).toBeUndefined();
    expect(services.migrate!.ports).toBeUndefined();
    expect(services.worker!.deploy?.replicas).toBe(2);
    expect([settings.intakePort, settings.resultsPort, settings.workerPort]).toEqual([5000, 5001, 5002]);
  });

  test('app services keep the image’s HEALTHCHECK (`secbot healthcheck`, right for every role); migrate disables it', () => {
    for (const s of LONG_RUNNING) expect(services[s]!.healthcheck).toBeUndefined();
    expect(read('Dockerfile')).toContain('CMD ["/app/secbot", "healthcheck"]');
    expect(services.migrate!.healthcheck).toEqual({ disable: true });
    expect(services.db!.healthcheck!.test!.join(' ')).toContain('pg_isready');
  });

  test('start order: db healthy -> migrate completed -> app services; migrate runs once', () => {
    expect(services.migrate!.depends_on).toEqual({ db: { condition: 'service_healthy' } });
    expect(services.migrate!.restart).toBe('no');
    for (const s of LONG_RUNNING) {
      expect(services[s]!.depends_on).toEqual({
        db: { condition: 'service_healthy' },
        migrate: { condition: 'service_completed_successfully' },
      });
    }
  });

  test('db is postgres:15 with a named volume', () => {
    expect(services.db!.image).toBe('postgres:15');
    const vol = services.db!.volumes![0]!.split(':')[0]!;
    expect(doc.volumes).toHaveProperty(vol);
  });

  test('stop_grace_period exceeds SecBot’s shutdown grace', () => {
    for (const s of LONG_RUNNING) {
      const secs = Number(/^(\d+)s$/.exec(services[s]!.stop_grace_period ?? '')?.[1]);
      expect(secs * 1000).toBeGreaterThan(settings.shutdownGraceMs);
    }
  });
});

describe('docker-compose.yml settings', () => {
  test('app services use the compose Postgres and leave migrations to the migrate service', () => {
    const db = services.db!.environment!;
    const expected = `postgres://${db.POSTGRES_USER}:${db.POSTGRES_PASSWORD}@db:5432/${db.POSTGRES_DB}`;
    expect(expected).toBe('postgres://secbot:foobar@db:5432/secbot');
    for (const s of APP) {
      expect(services[s]!.environment!.SECBOT_DATABASE_URL).toBe(expected);
      expect(services[s]!.environment!.SECBOT_MIGRATE_ON_START).toBe('false');
    }
  });

  test('each container’s environment (.env.dev + environment:) is valid for SecBot and listens where compose expects', () => {
    for (const s of APP) {
      const loaded = loadSettings(containerEnv(s));
      expect(loaded.databaseUrl).toBe('postgres://secbot:foobar@db:5432/secbot');
      expect(loaded.migrateOnStart).toBe(false);
      expect([loaded.intakePort, loaded.resultsPort, loaded.workerPort]).toEqual([5000, 5001, 5002]);
      // Container-local cache: not a volume, so worker replicas never share mirrors.
      expect(loaded.cacheDir).toBe('/app/data/cache');
      expect(services[s]!.volumes!.some((v) => v.includes('/app/data'))).toBe(false);
    }
  });

  test('every SECBOT_* name in the file is a SecBot setting', () => {
    expect(unknownSecbotNames(text)).toEqual([]);
    for (const s of APP) for (const k of Object.keys(services[s]!.environment!)) if (k.startsWith('SECBOT_')) expect(settingsVariableNames().has(k)).toBe(true);
  });

  test('no secret literal: credentials come from the env files, only the seed’s dev password appears', () => {
    // Tokens belong in .env.dev / .env.override, never inline.
    for (const s of APP) {
      for (const k of ['GITLAB_CONFIGS', 'DEFECTDOJO__TOKEN', 'SLACK_TOKEN', 'SECBOT_ADMIN_TOKEN']) expect(services[s]!.environment).not.toHaveProperty(k);
    }
    const allowed = new Set(['foobar', 'postgres://secbot:foobar@db:5432/secbot']);
    const secretish = /TOKEN|SECRET|PASSWORD|PASSWD|KEY|DSN|DATABASE_URL|CREDENTIAL/;
    for (const [name, svc] of Object.entries(services)) {
      for (const [k, v] of Object.entries(svc.environment ?? {})) {
        if (secretish.test(k)) expect({ service: name, k, allowed: allowed.has(String(v)) }).toEqual({ service: name, k, allowed: true });
      }
    }
    for (const p of REAL_SECRET_PATTERNS) expect(text).not.toMatch(p);
    // Nothing from a developer's personal override may leak in: none of its example values appear.
    expect(text).not.toContain('my_personal_token');
  });
});

/**
 * Debian's docker-compose v1 (1.29) knows neither the long env_file syntax nor `required: false`, so
 * docker-compose.v1.yml carries the short syntax. It must equal docker-compose.yml in everything else, and v1 itself
 * must accept it (where v1 is installed: `apt-get install docker-compose`).
 */
const v1Text = read('docker-compose.v1.yml');
const v1Doc = parse(v1Text, { merge: true }) as typeof doc;

describe('docker-compose.v1.yml', () => {
  test('is docker-compose.yml with the short env_file syntax, and nothing else changed', () => {
    const expected = structuredClone(doc) as typeof doc;
    const anchor = expected['x-secbot'] as Service;
    for (const svc of [...Object.values(expected.services), anchor]) {
      if (Array.isArray(svc.env_file)) svc.env_file = (svc.env_file as { path: string }[]).map((e) => e.path);
    }
    expect(v1Doc).toEqual(expected);
    expect(v1Doc.services.intake!.env_file).toEqual(['.env.dev', '.env.override']);
  });

  test('its header says how to run it: create .env.override, then --compatibility up', () => {
    expect(v1Text).toContain('cp -n .env.override.example .env.override');
    expect(v1Text).toContain('docker-compose -f docker-compose.v1.yml --compatibility up --build');
    // The example is all comments: copying it sets nothing.
    expect(read('.env.override.example').split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'))).toEqual([]);
  });

  const v1 = Bun.which('docker-compose');
  test.skipIf(!v1)('docker-compose v1 accepts it (`config -q`), and rejects docker-compose.yml', () => {
    const dir = mkdtempSync(join(tmpdir(), 'secbot-compose-'));
    try {
      // A project directory like a fresh clone after the documented `cp`: .env.dev and an all-comments .env.override.
      for (const f of ['docker-compose.v1.yml', 'docker-compose.yml', '.env.dev', 'config.yml']) writeFileSync(join(dir, f), read(f));
      writeFileSync(join(dir, '.env.override'), read('.env.override.example'));
      const check = (file: string) => Bun.spawnSync([v1!, '--project-directory', dir, '-f', join(dir, file), '--compatibility', 'config', '-q'], { stderr: 'pipe', stdout: 'pipe' });
      const r = check('docker-compose.v1.yml');
      expect({ exit: r.exitCode, stderr: r.stderr.toString() }).toEqual({ exit: 0, stderr: '' });
      expect(check('docker-compose.yml').exitCode).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // Two runs of a Python program on a busy machine.
  }, 30_000);
});
