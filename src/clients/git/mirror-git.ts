/**
 * The git commands behind the mirror cache: create a bare mirror, check it is readable, fetch refs or a single
 * commit into it. Network commands get the token through the environment (see git-env.ts); the mirror's own
 * config never holds a URL or a credential, because SecBot fetches by URL and writes no remote.
 */
import type { GitlabInstance } from '../../config/settings.ts';
import { RetryableError } from '../../core/errors.ts';
import { NETWORK_CONFIG_ARGS, gitEnv, gitNetworkEnv, makeScrubber, tailLines } from './git-env.ts';
import { CorruptMirrorError, looksCorrupt, remoteError } from './git-errors.ts';
import { ProcessTimeoutError, runProcess, type ProcessResult } from './run-process.ts';

export interface GitRunner {
  gitBin: string;
  /** The empty HOME of git processes. */
  home: string;
  signal: AbortSignal;
  timeoutMs: number;
}

/** git's well-known hash of the empty tree: pinned as attribute source, so committed .gitattributes are never read. */
const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

// Written once into each mirror. attr.tree only matters on git versions that read attributes from a bare
// repository's HEAD: a pushed `* -diff` must not turn every file into "binary" and hide it from gitleaks.
const MIRROR_CONFIG: [string, string][] = [
  ['gc.autoDetach', 'false'],
  ['core.logAllRefUpdates', 'false'],
  ['fetch.writeCommitGraph', 'true'],
  ['attr.tree', EMPTY_TREE],
];

/** Runs a local git command in a mirror. Corruption becomes CorruptMirrorError; `okCodes` are not failures. */
export async function localGit(r: GitRunner, dir: string, args: string[], okCodes: number[] = [0], stdin?: string): Promise<ProcessResult> {
  const res = await runProcess([r.gitBin, '--git-dir', dir, ...args], { env: gitEnv(r.home), signal: r.signal, timeoutMs: r.timeoutMs, stdin }).catch(
    (err: unknown) => {
      if (err instanceof ProcessTimeoutError) throw new RetryableError(`git ${args[0]} in the mirror cache ${err.message}`);
      throw err;
    },
  );
  if (okCodes.includes(res.exitCode)) return res;
  if (looksCorrupt(res.stderr)) throw new CorruptMirrorError(`git ${args[0]} failed on a damaged mirror: ${tailLines(res.stderr, 3)}`);
  throw new RetryableError(`git ${args[0]} failed in the mirror cache (exit ${res.exitCode}):\n${tailLines(res.stderr, 20)}`);
}

export async function initMirror(r: GitRunner, dir: string): Promise<void> {
  const res = await runProcess([r.gitBin, 'init', '--bare', '--quiet', '--template=', dir], { env: gitEnv(r.home), signal: r.signal, timeoutMs: r.timeoutMs });
  if (res.exitCode !== 0) throw new RetryableError(`cannot create a git mirror in ${dir}: ${tailLines(res.stderr, 5)}`);
  for (const [key, value] of MIRROR_CONFIG) await localGit(r, dir, ['config', key, value]);
}

/**
 * fsck-lite: the repository opens and every ref tip is a readable object. %(objecttype) makes git read each tip's
 * object header, where a commit-graph would let a plain rev-list succeed without touching the objects at all.
 */
export async function checkMirror(r: GitRunner, dir: string): Promise<void> {
  const bare = await localGit(r, dir, ['rev-parse', '--is-bare-repository']);
  if (bare.stdout.trim() !== 'true') throw new CorruptMirrorError('the mirror is not a bare repository');
  const tips = await localGit(r, dir, ['for-each-ref', '--format=%(objecttype)']);
  if (tips.stdout.split('\n').some((t) => t !== '' && !['commit', 'tag', 'tree', 'blob'].includes(t))) {
    throw new CorruptMirrorError('a ref of the mirror points to an unreadable object');
  }
}

export async function hasCommit(r: GitRunner, dir: string, sha: string): Promise<boolean> {
  const res = await localGit(r, dir, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${sha}^{commit}`], [0, 1]);
  return res.exitCode === 0;
}

export interface Remote {
  instance: GitlabInstance;
  projectPath: string;
  url: string;
}

/** The argv of a fetch. It holds no credential: the token is only in the environment (gitNetworkEnv). */
export function fetchArgv(gitBin: string, dir: string, fetchArgs: string[]): string[] {
  return [gitBin, ...NETWORK_CONFIG_ARGS, '--git-dir', dir, 'fetch', '--quiet', '--no-write-fetch-head', '--no-recurse-submodules', ...fetchArgs];
}

async function networkGit(r: GitRunner, dir: string, remote: Remote, fetchArgs: string[]): Promise<ProcessResult & { scrubbed: string }> {
  const argv = fetchArgv(r.gitBin, dir, fetchArgs);
  try {
    const res = await runProcess(argv, { env: gitNetworkEnv(r.home, remote.instance.authToken), signal: r.signal, timeoutMs: r.timeoutMs });
    return { ...res, scrubbed: makeScrubber(remote.instance.authToken)(res.stderr) };
  } catch (err) {
    if (err instanceof ProcessTimeoutError) {
      throw new RetryableError(`git fetch of ${remote.projectPath} from GitLab at ${remote.instance.host} ${err.message}; will retry`);
    }
    throw err;
  }
}

const MISSING_REMOTE_REF = /couldn't find remote ref|not our ref|no such remote ref|unadvertised object|want .* not valid/i;

/** Brings branches and tags (pruned: a deleted branch must not hide commits) and the MR's head up to date. */
export async function fetchRefs(r: GitRunner, dir: string, remote: Remote, mergeRequestIid: number | null): Promise<void> {
  const specs = ['+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'];
  const mrRef = mergeRequestIid === null ? null : `refs/merge-requests/${mergeRequestIid}/head`;
  let res = await networkGit(r, dir, remote, ['--prune', '--no-tags', remote.url, ...specs, ...(mrRef ? [`+${mrRef}:${mrRef}`] : [])]);
  // A closed or just-created MR may lack its ref; the commit can still come by SHA.
  if (res.exitCode !== 0 && mrRef && MISSING_REMOTE_REF.test(res.scrubbed)) {
    res = await networkGit(r, dir, remote, ['--prune', '--no-tags', remote.url, ...specs]);
  }
  if (res.exitCode === 0) return;
  if (looksCorrupt(res.scrubbed)) throw new CorruptMirrorError(`git fetch reported a damaged mirror: ${tailLines(res.scrubbed, 3)}`);
  throw remoteError({ instance: remote.instance, projectPath: remote.projectPath, stderr: res.scrubbed });
}

/**
 * Fetches one commit by SHA (GitLab allows any reachable SHA in a want) and pins it under refs/secbot/ so gc keeps
 * it. Returns false when the server does not have it.
 */
export async function fetchCommit(r: GitRunner, dir: string, remote: Remote, sha: string): Promise<boolean> {
  const res = await networkGit(r, dir, remote, ['--no-tags', remote.url, `+${sha}:refs/secbot/commits/${sha}`]);
  if (res.exitCode === 0) return true;
  if (MISSING_REMOTE_REF.test(res.scrubbed)) return false;
  if (looksCorrupt(res.scrubbed)) throw new CorruptMirrorError(`git fetch reported a damaged mirror: ${tailLines(res.scrubbed, 3)}`);
  throw remoteError({ instance: remote.instance, projectPath: remote.projectPath, stderr: res.scrubbed });
}
