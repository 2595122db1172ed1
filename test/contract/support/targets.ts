/**
 * The two DefectDojo servers every contract case runs against: the fake (test/fakes/defectdojo/, always) and a real
 * DefectDojo 2.50.4 given by DEFECTDOJO_CONTRACT_URL and DEFECTDOJO_CONTRACT_TOKEN (`.ci/run` starts one with
 * ../shared/defectdojo/defectdojo.sh and sets them). Dedicated names, not DEFECTDOJO__URL/__TOKEN: the contract
 * tests create products, so they must never pick up the DefectDojo an operator configured for SecBot itself.
 * Without them the real half is skipped with a message, except under CI=true, where that is a failure.
 */
import { describe, test } from 'bun:test';
import { startFakeDefectDojo, type FakeDefectDojo, type FakeDefectDojoOptions } from '../../fakes/defectdojo/server.ts';

export type TargetKind = 'fake' | 'real';

export interface DojoTarget {
  kind: TargetKind;
  url: string;
  token: string;
  /** The API user's id (engagement lead). */
  userId: string;
  /** The fake itself, for the few cases that arm a fault only a fake has. */
  fake?: FakeDefectDojo;
  stop(): Promise<void>;
}

/**
 * The fake configured like the real server the contract runs against: "Deduplicate findings" on, and imports that
 * take time (25 ms a finding; the real 2.50.4 takes ~80 ms here), so a 300-finding import outlasts a 5 s timeout.
 */
export const CONTRACT_FAKE: FakeDefectDojoOptions = { enableDeduplication: true, importMsPerFinding: 25 };

/** A prefix no other run shares: the real server keeps every product of every run. */
export const RUN_ID = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;

type RealConfig = { ok: true; url: string; token: string } | { ok: false; why: string };

export function realConfig(env: Record<string, string | undefined> = process.env): RealConfig {
  const url = env.DEFECTDOJO_CONTRACT_URL?.trim();
  const token = env.DEFECTDOJO_CONTRACT_TOKEN?.trim();
  if (url && token) return { ok: true, url: url.replace(/\/+$/, ''), token };
  return {
    ok: false,
    why: 'DEFECTDOJO_CONTRACT_URL and DEFECTDOJO_CONTRACT_TOKEN are not set: the real-DefectDojo half of the contract tests is skipped (.ci/run starts ../shared/defectdojo/defectdojo.sh and sets them; by hand: eval "$(../shared/defectdojo/defectdojo.sh env | sed \'s/^DEFECTDOJO__/export DEFECTDOJO_CONTRACT_/\')")',
  };
}

async function startReal(url: string, token: string): Promise<DojoTarget> {
  const res = await fetch(`${url}/api/v2/user_profile/`, { headers: { Authorization: `Token ${token}` }, signal: AbortSignal.timeout(10_000) }).catch((e) => {
    throw new Error(`the real DefectDojo at ${url} (DEFECTDOJO_CONTRACT_URL) is not reachable: ${String(e)}`);
  });
  if (res.status !== 200) throw new Error(`the real DefectDojo at ${url} answered ${res.status} to the contract token (DEFECTDOJO_CONTRACT_TOKEN)`);
  const profile = (await res.json()) as { user: { id: number } };
  return { kind: 'real', url, token, userId: String(profile.user.id), stop: async () => {} };
}

export function startTarget(kind: TargetKind, fakeOptions: FakeDefectDojoOptions = CONTRACT_FAKE): Promise<DojoTarget> {
  if (kind === 'fake') {
    const fake = startFakeDefectDojo(fakeOptions);
    return Promise.resolve({ kind, url: fake.url, token: fake.token, userId: '1', fake, stop: () => fake.stop() });
  }
  const c = realConfig();
  if (!c.ok) throw new Error(c.why);
  return startReal(c.url, c.token);
}

/**
 * `describe`s the same cases once per server. The real one is skipped (with the reason printed once) when it is not
 * configured — unless CI=true, where a missing server fails the run instead of silently testing only the fake.
 */
export function forEachTarget(title: string, body: (kind: TargetKind) => void): void {
  describe(`${title} [fake DefectDojo]`, () => body('fake'));
  const c = realConfig();
  if (c.ok) {
    describe(`${title} [real DefectDojo]`, () => body('real'));
    return;
  }
  if (process.env.CI === 'true') {
    describe(`${title} [real DefectDojo]`, () => {
      test('a real DefectDojo is configured (required under CI=true)', () => {
        throw new Error(c.why);
      });
    });
    return;
  }
  announceSkip(c.why);
  describe.skip(`${title} [real DefectDojo] (skipped: not configured)`, () => body('real'));
}

let announced = false;
function announceSkip(why: string): void {
  if (announced) return;
  announced = true;
  console.warn(`contract tests: ${why}`);
}
