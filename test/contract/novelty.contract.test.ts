/**
 * "New" is SecBot's decision, not DefectDojo's (issue #12, item 2): the same secret pushed again — in another commit,
 * on another branch — is not announced again, whatever DefectDojo's hash-code configuration, because novelty is
 * decided from SecBot's own fingerprint (rule, file, keyed hash of the value). Run against the real DefectDojo (in
 * whatever configuration it runs; `.ci/run` runs this file a second time after restarting it with the recommended
 * DD_HASHCODE_FIELDS_PER_SCANNER) and against the fake in both configurations.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { HEADERS, pushPayload, ZERO } from '../helpers/payloads.ts';
import { fakeAwsKey } from '../helpers/secrets.ts';
import { Flow } from './support/flow.ts';
import type { Json } from './support/raw-api.ts';
import { forEachTarget, type TargetKind } from './support/targets.ts';

/** The hash-code fields README recommends for "Gitleaks Scan". */
const RECOMMENDED = ['title', 'cwe', 'file_path', 'line'];

function noveltyCases(kind: TargetKind, hashcodeFields: string[] | null) {
  let f: Flow;
  beforeAll(async () => {
    f = await Flow.start(kind, { fake: { hashcodeFields } });
  });
  afterAll(async () => {
    if (f?.target.fake) expect(f.target.fake.state.unexpected).toEqual([]);
    await f?.stop();
  });

  const announced = (path: string) => f.world.slack.messages.filter((m) => JSON.stringify(m.blocks).includes(path)).length;
  async function settled(path: string, sha: string): Promise<Json> {
    const id = f.world.checkId(path, sha);
    const st = await f.world.waitFinal(id, 90_000);
    await f.world.until(async () => (await f.world.status(id)).notifications.every((n: Json) => n.state === 'done'), 30_000, 'notification done');
    return st;
  }

  test('the same secret in another commit and on another branch is not announced again; in another file it is', async () => {
    const path = f.path('novelty');
    const repo = f.world.repo(path);
    const secret = fakeAwsKey();
    const base = repo.commit({ files: { 'README.md': 'hello\n' }, message: 'init' });
    const first = repo.commit({ files: { 'config.env': `AWS_ACCESS_KEY_ID=${secret}\n` }, message: 'add config' });
    await f.world.deliver(HEADERS.push, pushPayload({ gitlabUrl: f.world.gitlab.url, path, before: base, after: first }));
    const st1 = await settled(path, first);
    expect(st1.status).toBe('fail');
    expect(st1.findings.map((x: Json) => x.new)).toEqual([true]);
    expect(announced(path)).toBe(1);

    // The same value in the same file, committed again on a branch that does not contain the first commit.
    repo.branch('redo', base);
    const again = repo.commit({ files: { 'config.env': `# moved\nAWS_ACCESS_KEY_ID=${secret}\n` }, message: 'same key again', branch: 'redo' });
    await f.world.deliver(HEADERS.push, pushPayload({ gitlabUrl: f.world.gitlab.url, path, before: ZERO, after: again, branch: 'redo' }));
    const st2 = await settled(path, again);
    expect(st2.status).toBe('fail');
    expect(st2.findings.map((x: Json) => [x.commit, x.new, x.inherited])).toEqual([[again, false, false]]);
    expect(announced(path)).toBe(1);

    // The same value in another file is another leak to know about.
    const elsewhere = repo.commit({ files: { 'ops/deploy.env': `KEY_ID=${secret}\n` }, message: 'copy it', branch: 'redo' });
    await f.world.deliver(HEADERS.push, pushPayload({ gitlabUrl: f.world.gitlab.url, path, before: again, after: elsewhere, branch: 'redo' }));
    const st3 = await settled(path, elsewhere);
    expect(st3.findings.filter((x: Json) => x.new).map((x: Json) => x.file)).toEqual(['ops/deploy.env']);
    expect(announced(path)).toBe(2);
    expect(JSON.stringify(f.world.slack.messages)).not.toContain(secret);
  }, 240_000);
}

forEachTarget('Novelty contract', (kind) => noveltyCases(kind, null));
describe('Novelty contract [fake DefectDojo, recommended DD_HASHCODE_FIELDS_PER_SCANNER]', () => noveltyCases('fake', RECOMMENDED));
