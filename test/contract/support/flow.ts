/**
 * SecBot's real flow against one DefectDojo (real or fake): the compiled binary (`secbot all`), real git over smart
 * HTTP from the fake GitLab, the real gitleaks, and DefectDojo reached through a freezable TCP proxy. Every project
 * path and the product type carry the run id, so runs against the shared real server never see each other's data.
 */
import { HEADERS, pushPayload } from '../../helpers/payloads.ts';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.ts';
import { DEFAULT_CONFIG, World } from '../../helpers/world.ts';
import { RawApi, type Json } from './raw-api.ts';
import type { FakeDefectDojoOptions } from '../../fakes/defectdojo/server.ts';
import { CONTRACT_FAKE, RUN_ID, startTarget, type DojoTarget, type TargetKind } from './targets.ts';

export interface FlowOptions {
  /** config.yml `config:` of the defectdojo component, besides the product type. */
  dojoConfig?: string;
  env?: Record<string, string>;
  /** Options of the fake (ignored for the real server), e.g. DefectDojo's hash-code fields. */
  fake?: FakeDefectDojoOptions;
}

export class Flow {
  private constructor(
    readonly kind: TargetKind,
    readonly world: World,
    readonly target: DojoTarget,
    readonly proxy: TcpProxy,
    readonly raw: RawApi,
    readonly productType: string,
  ) {}

  static async start(kind: TargetKind, o: FlowOptions = {}): Promise<Flow> {
    const target = await startTarget(kind, o.fake ? { ...CONTRACT_FAKE, ...o.fake } : undefined);
    const proxy = startTcpProxy({ host: '127.0.0.1', port: Number(new URL(target.url).port) });
    const productType = `contract-${RUN_ID}-${kind}`;
    const extra = o.dojoConfig ? `, ${o.dojoConfig}` : '';
    const config = DEFAULT_CONFIG.replace(
      'handler_name: defectdojo\n',
      `handler_name: defectdojo\n    config: { product_type_name: "${productType}"${extra} }\n`,
    );
    const world = await World.start({
      db: 'sqlite',
      launch: 'binary',
      config,
      env: {
        DEFECTDOJO__URL: `${proxy.url}${new URL(target.url).pathname.replace(/\/$/, '')}`,
        DEFECTDOJO__TOKEN: target.token,
        DEFECTDOJO__USER_ID: target.userId,
        SECBOT_LOG_LEVEL: 'info',
        ...o.env,
      },
    });
    return new Flow(kind, world, target, proxy, new RawApi(target), productType);
  }

  /** A project path no other run or case uses. */
  path(name: string): string {
    return `contract-${RUN_ID}/${this.kind}-${name}`;
  }

  /** Commits `files` on top of a clean base and delivers the push; returns the check id and the commit. */
  async push(path: string, files: Record<string, string>, o: { before?: string; key?: string } = {}) {
    const repo = this.world.repo(path);
    const before = o.before ?? repo.commit({ files: { 'README.md': 'hello\n' }, message: 'init' });
    const sha = repo.commit({ files, message: 'add configuration' });
    const payload = pushPayload({ gitlabUrl: this.world.gitlab.url, path, before, after: sha });
    const headers: Record<string, string> = o.key ? { 'Idempotency-Key': o.key } : {};
    const res = await this.world.deliver(HEADERS.push, payload, headers);
    if (res.status !== 200) throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
    return { checkId: this.world.checkId(path, sha), sha, payload, headers };
  }

  async product(path: string): Promise<Json | undefined> {
    const found = await this.raw.ok(`products/?name_exact=${encodeURIComponent(path)}`);
    return found.results.find((p: Json) => p.name === path);
  }

  /** Tests tagged with the check id (SecBot tags them with the lower-cased id). */
  async testsOf(checkId: string): Promise<Json[]> {
    return (await this.raw.ok(`tests/?tags=${encodeURIComponent(checkId.toLowerCase())}&limit=100`)).results;
  }

  async stop(): Promise<void> {
    await this.world.stop();
    await this.proxy.stop();
    await this.target.stop();
  }
}

/** Lines of distinct GitHub-token-shaped secrets that gitleaks' github-pat rule reports one each. */
export function tokenLines(n: number, make: () => string): string {
  return `${Array.from({ length: n }, (_, i) => `token_${i} = "${make()}"`).join('\n')}\n`;
}
