/**
 * The harness of the ci/secbot-gate.sh tests: a fake of SecBot's results API (answers set per test), and `gate()`,
 * which runs the script with curl and jq, with jq forced missing, with busybox applets only (wget, no curl, no jq:
 * an alpine image without extra packages) and, where installed, with GNU wget instead of curl; and checks that no
 * secret and no control character reaches its output.
 */
import { afterAll, beforeAll, beforeEach, expect } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { securityCheckId } from '../../../src/core/check-id.ts';
import { ROOT } from './deploy-helpers.ts';

export const SCRIPT = join(ROOT, 'ci', 'secbot-gate.sh');
export const HOST = 'gitlab.example.com';
export const PROJECT = 'group/sub-group/app.web';
export const SHA = '3f786850e387550fdab836ed7e6dc881de23001b';
export const ID = securityCheckId('GIT_LOCAL', HOST, PROJECT, SHA);
export const CHECK_PATH = `/v1/security/gitlab/check/${ID}`;
// Values that must never show up in the job log.
export const JOB_TOKEN = 'glcbt-job-token-never-print-me';
export const URL_PASSWORD = 'url-password-never-print-me';
export const RESULTS_TOKEN = 'results-read-token-never-print-me-0123';

export const BUSYBOX = Bun.which('busybox');
/** The busybox applets the script may use: a PATH of only these is an alpine image without curl or jq. */
export const APPLETS = ['sh', 'wget', 'sha256sum', 'head', 'tail', 'sed', 'grep', 'tr', 'awk', 'wc', 'mktemp', 'rm', 'date', 'sleep', 'timeout', 'cat'];

/** GNU wget, when the machine has it (Debian usually does): the script's other wget. */
const GNU_WGET = (() => {
  const w = Bun.which('wget');
  return w && /GNU Wget/.test(Bun.spawnSync([w, '--version']).stdout.toString()) ? w : null;
})();

export type Variant = 'jq' | 'nojq' | 'busybox' | 'gnuwget';
export const VARIANTS: Variant[] = ['jq', 'nojq', 'busybox', ...(GNU_WGET ? (['gnuwget'] as const) : [])];
export const VARIANT_NAMES: Record<Variant, string> = {
  jq: 'curl and jq',
  nojq: 'curl, jq forced missing',
  busybox: 'busybox only: wget, no curl, no jq',
  gnuwget: 'GNU wget, no curl, no jq',
};

type Responder = (n: number, path: string) => Response;

/** The fake results API and what it saw; tests set `responder` and read `requests` / `authorizations`. */
export const h = {
  responder: (() => new Response('not configured', { status: 500 })) as Responder,
  requests: [] as string[],
  authorizations: [] as (string | null)[],
  busyboxBin: '',
  gnuWgetBin: '',
  base: '',
  port: 0,
  tmp: '',
};

/** Starts the fake results API around a test file (call once at the top level of the file). */
export function useFakeResults(): void {
  let server: ReturnType<typeof Bun.serve>;
  beforeAll(() => {
    server = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch(req) {
        const path = new URL(req.url).pathname;
        h.requests.push(path);
        h.authorizations.push(req.headers.get('authorization'));
        return h.responder(h.requests.length, path);
      },
    });
    h.port = Number(server.port);
    h.base = `http://127.0.0.1:${server.port}`;
    h.tmp = mkdtempSync(join(tmpdir(), 'secbot-gate-'));
    if (!BUSYBOX) throw new Error('busybox is required for the wget tests: apt-get install -y busybox (scripts/test.sh does)');
    h.busyboxBin = join(h.tmp, 'busybox-bin');
    mkdirSync(h.busyboxBin);
    for (const a of APPLETS) symlinkSync(BUSYBOX, join(h.busyboxBin, a));
    if (GNU_WGET) {
      // The machine's own tools, with GNU wget and without curl or jq.
      h.gnuWgetBin = join(h.tmp, 'gnu-wget-bin');
      mkdirSync(h.gnuWgetBin);
      for (const a of APPLETS) symlinkSync(a === 'wget' ? GNU_WGET : Bun.which(a)!, join(h.gnuWgetBin, a));
    }
  });
  afterAll(() => {
    server.stop(true);
    rmSync(h.tmp, { recursive: true, force: true });
  });
  beforeEach(() => {
    h.requests = [];
    h.authorizations = [];
  });
}

export const json = (body: unknown, status = 200) => Response.json(body, { status });
export const verdict = (status: string, extra: Record<string, unknown> = {}) => ({ status, security_check_id: ID, reason: null, stale: false, ...extra });
/** Shaped like SecBot's details (src/services/status-details.ts). */
export const FAIL_BODY = verdict('fail', {
  reason: 'defectdojo has 2 open findings for gitleaks',
  check: { project: PROJECT, project_url: `https://${HOST}/${PROJECT}`, commit_sha: SHA, ref: 'branch main', event_type: 'push' },
  scans: [{ name: 'gitleaks', state: 'done', attempts: 1, result: 'leaks', finding_count: 2, error: null }],
  outputs: [{ scan: 'gitleaks', name: 'defectdojo', state: 'done', attempts: 1, url: 'https://defectdojo.example.com/test/42', recorded: 2, stale: false, error: null }],
  counts: { findings: 3, open: 2, inherited: 1, open_inherited: 1, unscanned: 0 },
  findings: [
    { scan: 'gitleaks', rule: 'aws-access-token', file: 'config/prod.env', line: 3, commit: SHA, severity: 'High', title: 'AWS Access Key in "config/prod.env"', url: 'https://defectdojo.example.com/finding/7', open: true, new: true, inherited: false, found_by: null },
    { scan: 'gitleaks', rule: 'generic-api-key', file: 'app.py', line: 9, commit: 'a'.repeat(40), severity: 'Medium', title: 'Generic API Key', url: 'https://defectdojo.example.com/finding/8', open: true, new: false, inherited: true, found_by: 'GIT_LOCAL_x' },
    { scan: 'gitleaks', rule: 'generic-api-key', file: 'old.py', line: 1, commit: 'b'.repeat(40), severity: 'Medium', title: 'Triaged key', url: 'https://defectdojo.example.com/finding/9', open: false, new: false, inherited: true, found_by: 'GIT_LOCAL_x' },
  ],
  notifications: [{ output: 'defectdojo', name: 'slack', state: 'done', attempts: 1, error: null, channels: [{ channel: 'sec', state: 'sent', detail: null }] }],
});

export interface Run {
  code: number;
  out: string;
  ms: number;
}


export async function gate(variant: Variant, env: Record<string, string | undefined> = {}, script = SCRIPT): Promise<Run> {
  const t0 = performance.now();
  const shell = variant === 'busybox' ? [BUSYBOX!, 'sh'] : ['sh'];
  const proc = Bun.spawn([...shell, script], {
    env: {
      PATH: variant === 'busybox' ? h.busyboxBin : variant === 'gnuwget' ? h.gnuWgetBin : process.env.PATH,
      CI_SERVER_HOST: HOST,
      CI_PROJECT_PATH: PROJECT,
      CI_COMMIT_SHA: SHA,
      CI_JOB_TOKEN: JOB_TOKEN,
      SECBOT_URL: h.base,
      SECBOT_POLL_INTERVAL: '0.05',
      SECBOT_TIMEOUT: '30',
      ...(variant === 'nojq' ? { SECBOT_JQ: 'secbot-test-no-such-jq' } : {}),
      ...env,
    } as Record<string, string>,
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  const all = out + err;
  expect(all).not.toContain(JOB_TOKEN);
  expect(all).not.toContain(URL_PASSWORD);
  expect(all).not.toContain(RESULTS_TOKEN);
  // Nothing SecBot (or an impostor) sends reaches the job log as a control character.
  expect(all).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]/);
  return { code, out: all, ms: performance.now() - t0 };
}

export function expectOnlyTheCheckId() {
  expect(h.requests.length).toBeGreaterThan(0);
  for (const p of h.requests) expect(p).toBe(CHECK_PATH);
}
