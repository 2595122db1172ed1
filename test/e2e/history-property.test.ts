/**
 * Property: whatever the history and however GitLab's events arrive, no commit whose history holds an untriaged
 * secret passes the gate. Random histories (commits with and without planted secrets, new branches, merges, tags,
 * force pushes, deletions, merge requests) are pushed to a real repository on the fake GitLab; the events GitLab
 * would send are delivered in random order, some twice, some never; two worker processes of the compiled binary
 * process them (real git, real gitleaks, SQLite and Postgres). Then:
 *   - every commit holding a planted secret and reachable from a commit named by a delivered event was found;
 *   - every such commit's check is `fail` exactly when its history holds a planted secret, else `success`;
 *   - after everything is triaged in DefectDojo, every check is `success`.
 * The seed is printed; FC_SEED=<seed> replays a run.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { DB_KINDS } from '../helpers/db.ts';
import { gitSync } from '../helpers/git-repo.ts';
import { HEADERS, mrPayload, pushPayload, tagPayload, ZERO } from '../helpers/payloads.ts';
import { fakeAwsKey } from '../helpers/secrets.ts';
import { World } from '../helpers/world.ts';

const SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : Date.now() % 2_147_483_647;
const NUM_RUNS = Number(process.env.FC_RUNS ?? 6);
const BRANCHES = ['main', 'b1', 'b2', 'b3', 'b4'];

type Op =
  | { t: 'commit'; b: number; leak: boolean }
  | { t: 'branch'; from: number; to: number }
  | { t: 'merge'; into: number; from: number }
  | { t: 'tag'; b: number }
  | { t: 'force'; b: number; leak: boolean }
  | { t: 'delete'; b: number }
  | { t: 'mr'; b: number };

const b = fc.integer({ min: 0, max: BRANCHES.length - 1 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant('commit' as const), b, leak: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('branch' as const), from: b, to: b }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('merge' as const), into: b, from: b }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('tag' as const), b }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('force' as const), b, leak: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('delete' as const), b }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('mr' as const), b }) },
);
const scenario = fc.record({
  ops: fc.array(op, { minLength: 8, maxLength: 16 }),
  shuffle: fc.integer({ min: 1, max: 2_147_483_646 }),
  dropPercent: fc.integer({ min: 0, max: 30 }),
  duplicatePercent: fc.integer({ min: 0, max: 40 }),
});

interface Event {
  header: string;
  payload: unknown;
  head: string;
}

/** A small deterministic generator (Park–Miller), so a seed replays the same delivery order. */
function prng(seed: number) {
  let s = seed;
  return () => {
    s = (s * 48271) % 2_147_483_647;
    return s / 2_147_483_647;
  };
}

for (const kind of DB_KINDS) {
  describe(`history property on ${kind}`, () => {
    let w: World;
    let run = 0;
    beforeAll(async () => {
      w = await World.start({ db: kind, launch: 'none', env: { SECBOT_WORKER_CONCURRENCY: '3' } });
      await Promise.all([w.startProcess(['intake']), w.startProcess(['results'])]);
      await Promise.all([w.startProcess(['worker']), w.startProcess(['worker'])]);
    }, 120_000);
    afterAll(async () => w.stop());

    test(`no history and no order of events makes a leaking commit pass (seed ${SEED})`, async () => {
      console.log(`history property on ${kind}: seed ${SEED} (replay: FC_SEED=${SEED})`);
      try {
        await fc.assert(fc.asyncProperty(scenario, async (sc) => runScenario(w, `prop/${kind}-${++run}`, sc)), { numRuns: NUM_RUNS, seed: SEED, endOnFailure: true });
      } catch (err) {
        throw new Error(`property failed with seed ${SEED} (replay: FC_SEED=${SEED}):\n${(err as Error).message}`);
      }
    }, 600_000);
  });
}

interface Scenario {
  ops: Op[];
  shuffle: number;
  dropPercent: number;
  duplicatePercent: number;
}

async function runScenario(w: World, path: string, sc: Scenario) {
  const repo = w.repo(path);
  const tips = new Map<string, string>();
  const leaky = new Set<string>();
  const events: Event[] = [];
  const url = w.gitlab.url;
  const commitOn = (branch: string, leak: boolean) => {
    const files = leak ? { [`cfg/${events.length}-${Math.random().toString(36).slice(2, 6)}.env`]: `AWS_ACCESS_KEY_ID=${fakeAwsKey()}\n` } : { [`n/${Math.random().toString(36).slice(2)}.txt`]: 'x\n' };
    const sha = repo.commit({ files, message: leak ? 'add config' : 'work', branch });
    if (leak) leaky.add(sha);
    return sha;
  };
  const pushed = (branch: string, before: string, after: string) =>
    events.push({ header: HEADERS.push, payload: pushPayload({ gitlabUrl: url, path, before, after, branch }), head: after });
  tips.set('main', commitOn('main', false));
  pushed('main', ZERO, tips.get('main')!);
  sc.ops.forEach((o, i) => {
    applyOp(o, i);
  });
  const rnd = prng(sc.shuffle);
  const deliveries = events
    .filter(() => rnd() * 100 >= sc.dropPercent)
    .flatMap((e) => (rnd() * 100 < sc.duplicatePercent ? [e, e] : [e]))
    .map((e) => ({ e, k: rnd() }))
    .sort((a, c) => a.k - c.k)
    .map((x) => x.e);
  const heads = new Set<string>();
  await Promise.all(
    deliveries.map(async (e) => {
      const res = await w.deliver(e.header, e.payload);
      expect(res.status).toBe(200);
      const body = await res.json();
      if (body.status === 'accepted' || body.status === 'exists' || body.status === 'duplicate_delivery') heads.add(e.head);
    }),
  );
  const expectedLeaks = (head: string) => {
    const ancestors = new Set(gitSync(['--git-dir', repo.path, 'rev-list', head]).stdout.split('\n').filter(Boolean));
    return [...leaky].filter((c) => ancestors.has(c));
  };
  const found = new Set<string>();
  for (const head of heads) {
    const st = await w.waitFinal(w.checkId(path, head), 90_000);
    const want = expectedLeaks(head);
    for (const f of st.findings) found.add(f.commit);
    expect({ head, status: st.status, leaks: want.length }).toEqual({ head, status: want.length > 0 ? 'fail' : 'success', leaks: want.length });
    for (const c of want) expect(st.findings.map((f: { commit: string }) => f.commit)).toContain(c);
  }
  for (const head of heads) for (const c of expectedLeaks(head)) expect(found.has(c)).toBe(true);
  for (const f of w.dojo.state.findings) w.dojo.triage(f.id, { false_p: true, active: false });
  for (const head of heads) expect({ head, status: (await w.status(w.checkId(path, head))).status }).toEqual({ head, status: 'success' });
  if (process.env.FC_VERBOSE) {
    console.log(`${path}: ${events.length} events, ${deliveries.length} deliveries, ${heads.size} heads, ${leaky.size} leaky commits, ${found.size} found`);
  }

  /** Branch indexes name existing branches (modulo), so most operations do something. */
  function existing(n: number): string {
    const names = [...tips.keys()];
    return names[n % names.length]!;
  }

  function applyOp(o: Op, i: number) {
    if (o.t === 'commit' || o.t === 'force') {
      const branch = existing(o.b);
      const old = tips.get(branch)!;
      if (o.t === 'force') {
        const parent = gitSync(['--git-dir', repo.path, 'rev-parse', '--verify', '--quiet', `${old}^`]).stdout.trim();
        if (!parent) return;
        repo.branch(branch, parent);
      }
      tips.set(branch, commitOn(branch, o.leak));
      pushed(branch, old, tips.get(branch)!);
    } else if (o.t === 'branch') {
      const from = tips.get(existing(o.from))!;
      const to = BRANCHES.find((n) => !tips.has(n));
      if (!to) return;
      repo.branch(to, from);
      tips.set(to, from);
      pushed(to, ZERO, from);
    } else if (o.t === 'merge') {
      const into = existing(o.into);
      const old = tips.get(into)!;
      const from = tips.get(existing(o.from))!;
      if (from === old) return;
      tips.set(into, repo.merge(into, from));
      pushed(into, old, tips.get(into)!);
    } else if (o.t === 'tag') {
      const at = tips.get(existing(o.b))!;
      repo.tag(`t${i}`, at);
      events.push({ header: HEADERS.tag, payload: tagPayload({ gitlabUrl: url, path, tag: `t${i}`, after: at, commit: at }), head: at });
    } else if (o.t === 'delete') {
      const branch = existing(o.b);
      if (branch === 'main') return;
      const old = tips.get(branch)!;
      repo.deleteBranch(branch);
      tips.delete(branch);
      events.push({ header: HEADERS.push, payload: pushPayload({ gitlabUrl: url, path, before: old, after: ZERO, branch }), head: '' });
    } else {
      const source = existing(o.b);
      if (source === 'main') return;
      const head = tips.get(source)!;
      repo.mergeRequestRef(i + 1, head);
      events.push({ header: HEADERS.mr, payload: mrPayload({ gitlabUrl: url, path, iid: i + 1, action: 'open', source, target: 'main', head }), head });
    }
  }
}
