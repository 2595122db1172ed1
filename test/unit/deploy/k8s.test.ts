/**
 * The Kubernetes manifests (k8s/) parsed as documents and checked against SecBot: container args the CLI accepts,
 * probes on the ports the settings define, the hardening every pod needs under the restricted Pod Security profile,
 * an Ingress that exposes exactly the two public routes, and a ConfigMap whose config.yml passes the project's own
 * validation with the Secret/ConfigMap placeholders as the environment.
 */
import { describe, expect, test } from 'bun:test';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { parseWorkflow } from '../../../src/config/workflow.ts';
import { loadSettings } from '../../../src/config/settings.ts';
import { catalogOf } from '../../../src/plugins/registry.ts';
import { commandOf, defaultSettings, portOfMode, read, REAL_SECRET_PATTERNS, ROOT, unknownSecbotNames } from './deploy-helpers.ts';

// Loosely typed on purpose: the assertions below are the schema.
// biome-ignore lint/suspicious/noExplicitAny: see above
type Obj = Record<string, any>;

const DIR = join(ROOT, 'k8s');
const files = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml').sort();
const docs: (Obj & { file: string })[] = files.flatMap((file) =>
  parseAllDocuments(read(`k8s/${file}`)).map((d) => {
    if (d.errors.length) throw new Error(`${file}: ${d.errors[0]!.message}`);
    return { ...(d.toJS() as Obj), file };
  }),
);
const kustomization = parse(read('k8s/kustomization.yaml')) as Obj;
const byKind = (kind: string) => docs.filter((d) => d.kind === kind);
const one = (kind: string, name: string) => {
  const found = docs.filter((d) => d.kind === kind && d.metadata?.name === name);
  expect(found).toHaveLength(1);
  return found[0]!;
};
const settings = defaultSettings();
const ROLES = ['intake', 'results', 'worker'] as const;
const deployment = (role: string) => one('Deployment', `secbot-${role}`);
const container = (d: Obj) => d.spec.template.spec.containers[0] as Obj;

/** The environment a SecBot pod gets from envFrom (ConfigMap, then Secret) and its own env. */
function podEnv(c: Obj): Record<string, string> {
  const out: Record<string, string> = {};
  for (const src of c.envFrom ?? []) {
    if (src.configMapRef) Object.assign(out, one('ConfigMap', src.configMapRef.name).data);
    if (src.secretRef) Object.assign(out, one('Secret', src.secretRef.name).stringData);
  }
  for (const e of c.env ?? []) out[e.name] = e.value;
  return out;
}

const bytes = (q: string) => {
  const m = /^(\d+)(Ki|Mi|Gi|Ti)?$/.exec(q);
  if (!m) throw new Error(`unsupported quantity ${q}`);
  return Number(m[1]) * 1024 ** ['', 'Ki', 'Mi', 'Gi', 'Ti'].indexOf(m[2] ?? '');
};

describe('k8s manifests: inventory', () => {
  test('every document is a well-formed object in the secbot namespace', () => {
    expect(docs.length).toBeGreaterThan(10);
    for (const d of docs) {
      expect(typeof d.apiVersion).toBe('string');
      expect(typeof d.kind).toBe('string');
      expect(typeof d.metadata?.name).toBe('string');
      if (d.kind === 'Namespace') expect(d.metadata.name).toBe('secbot');
      else expect({ doc: `${d.kind}/${d.metadata.name}`, ns: d.metadata.namespace }).toEqual({ doc: `${d.kind}/${d.metadata.name}`, ns: 'secbot' });
    }
  });

  test('kustomization lists exactly the manifest files but the examples, and sets the image in one place', () => {
    expect([...kustomization.resources].sort()).toEqual(files.filter((f) => !f.endsWith('.example.yaml')));
    expect(kustomization.namespace).toBe('secbot');
    expect(kustomization.images.map((i: Obj) => i.name)).toEqual(['secbot']);
    for (const c of [...byKind('Deployment'), ...byKind('Job')].map((d) => d.spec.template.spec.containers).flat()) expect(c.image).toBe('secbot');
  });

  test('no Secret is applied by `kubectl apply -k`: the one created out of band is never overwritten', () => {
    const applied = docs.filter((d) => kustomization.resources.includes(d.file));
    expect(applied.filter((d) => d.kind === 'Secret')).toEqual([]);
    // The example documents the keys, and the deployments still read the Secret by that name.
    expect(one('Secret', 'secbot-secrets').file).toBe('secret.example.yaml');
    expect(read('k8s/kustomization.yaml')).toContain('kubectl -n secbot create secret generic secbot-secrets');
  });

  test('the kinds the deployment needs are all there', () => {
    const kinds = docs.map((d) => `${d.kind}/${d.metadata.name}`).sort();
    expect(kinds).toEqual(
      [
        'ConfigMap/secbot-config',
        'ConfigMap/secbot-env',
        'Deployment/secbot-intake',
        'Deployment/secbot-results',
        'Deployment/secbot-worker',
        'Ingress/secbot',
        'Job/secbot-migrate',
        'Namespace/secbot',
        'PodDisruptionBudget/secbot-intake',
        'PodDisruptionBudget/secbot-results',
        'PodDisruptionBudget/secbot-worker',
        'Secret/secbot-secrets',
        'Service/secbot-intake',
        'Service/secbot-results',
        'Service/secbot-worker',
        'ServiceAccount/secbot',
      ].sort(),
    );
  });

  test('every SECBOT_* name is a SecBot setting', () => {
    for (const f of files) expect({ f, unknown: unknownSecbotNames(read(`k8s/${f}`)) }).toEqual({ f, unknown: [] });
  });
});

describe('k8s Deployments', () => {
  test('three Deployments, two replicas each; selectors match their pod labels', () => {
    expect(byKind('Deployment')).toHaveLength(3);
    for (const role of ROLES) {
      const d = deployment(role);
      expect(d.spec.replicas).toBe(2);
      for (const [k, v] of Object.entries(d.spec.selector.matchLabels)) expect(d.spec.template.metadata.labels[k]).toBe(v);
    }
  });

  test('each container runs its role: args accepted by the CLI, container port = settings default', () => {
    for (const role of ROLES) {
      const c = container(deployment(role));
      expect(c.args).toEqual([role]);
      expect(commandOf(c.args)).toEqual({ kind: 'run', modes: [role] });
      expect(c.ports.map((p: Obj) => p.containerPort)).toEqual([portOfMode([role])]);
      expect(c.ports.some((p: Obj) => 'hostPort' in p)).toBe(false);
    }
    expect([settings.intakePort, settings.resultsPort, settings.workerPort]).toEqual([5000, 5001, 5002]);
  });

  test('readiness on /readyz, liveness on /healthz, both on the role’s port', () => {
    for (const role of ROLES) {
      const c = container(deployment(role));
      const port = (ref: number | string) => (typeof ref === 'number' ? ref : c.ports.find((p: Obj) => p.name === ref)?.containerPort);
      expect(c.readinessProbe.httpGet.path).toBe('/readyz');
      expect(c.livenessProbe.httpGet.path).toBe('/healthz');
      expect(port(c.readinessProbe.httpGet.port)).toBe(portOfMode([role]));
      expect(port(c.livenessProbe.httpGet.port)).toBe(portOfMode([role]));
    }
  });

  test('requests and limits for cpu and memory', () => {
    for (const role of ROLES) {
      const r = container(deployment(role)).resources;
      for (const k of ['cpu', 'memory']) {
        expect(r.requests[k]).toBeDefined();
        expect(r.limits[k]).toBeDefined();
      }
      expect(bytes(r.requests.memory)).toBeLessThanOrEqual(bytes(r.limits.memory));
    }
  });

  test('hardened: non-root uid 10001, read-only root, no privilege escalation, all capabilities dropped', () => {
    for (const d of [...byKind('Deployment'), ...byKind('Job')]) {
      const pod = d.spec.template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.serviceAccountName).toBe('secbot');
      for (const c of pod.containers) {
        expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      }
    }
    expect(one('ServiceAccount', 'secbot').automountServiceAccountToken).toBe(false);
  });

  test('the only writable paths (/app/data, /tmp, the worker cache) are emptyDirs with a size limit', () => {
    for (const role of ROLES) {
      const pod = deployment(role).spec.template.spec;
      const mounts = Object.fromEntries(container(deployment(role)).volumeMounts.map((m: Obj) => [m.mountPath, m]));
      const volume = (name: string) => pod.volumes.find((v: Obj) => v.name === name);
      const paths = role === 'worker' ? ['/app/data', '/app/data/cache', '/tmp'] : ['/app/data', '/tmp'];
      for (const p of paths) {
        const v = volume(mounts[p].name);
        expect(v.emptyDir?.sizeLimit).toBeDefined();
      }
      expect(pod.volumes.some((v: Obj) => v.persistentVolumeClaim)).toBe(false);
    }
  });

  test('workers scale: per-pod cache sized above SECBOT_CACHE_MAX_BYTES, nothing shared between replicas', () => {
    const d = deployment('worker');
    const c = container(d);
    const env = podEnv(c);
    const cacheMount = c.volumeMounts.find((m: Obj) => m.mountPath === env.SECBOT_CACHE_DIR);
    expect(cacheMount).toBeDefined();
    const cache = d.spec.template.spec.volumes.find((v: Obj) => v.name === cacheMount.name);
    expect(Number(env.SECBOT_CACHE_MAX_BYTES)).toBeLessThan(bytes(cache.emptyDir.sizeLimit));
    expect(one('Service', 'secbot-worker').spec.clusterIP).toBe('None');
    // Scaling must not need more than `kubectl scale`: the PDB leaves room for voluntary disruptions.
    expect(one('PodDisruptionBudget', 'secbot-worker').spec.minAvailable).toBeLessThan(d.spec.replicas);
  });

  test('environment: valid settings from ConfigMap + Secret, migrations off, config mounted where SECBOT_CONFIG points', () => {
    for (const role of ROLES) {
      const c = container(deployment(role));
      const env = podEnv(c);
      expect(c.env.find((e: Obj) => e.name === 'SECBOT_MIGRATE_ON_START')?.value).toBe('false');
      const s = loadSettings(env);
      expect(s.migrateOnStart).toBe(false);
      expect(s.databaseUrl.startsWith('postgres://')).toBe(true);
      expect(s.gitleaksBin).toBe('/usr/local/bin/gitleaks');
      const mount = c.volumeMounts.find((m: Obj) => s.configPath.startsWith(`${m.mountPath}/`));
      expect(mount?.readOnly).toBe(true);
      const vol = deployment(role).spec.template.spec.volumes.find((v: Obj) => v.name === mount.name);
      expect(vol.configMap.name).toBe('secbot-config');
      expect(s.configPath.slice(mount.mountPath.length + 1) in one('ConfigMap', 'secbot-config').data).toBe(true);
    }
  });

  test('terminationGracePeriodSeconds exceeds SECBOT_SHUTDOWN_GRACE_MS plus any preStop pause', () => {
    for (const role of ROLES) {
      const d = deployment(role);
      const c = container(d);
      const grace = loadSettings(podEnv(c)).shutdownGraceMs;
      const cmd: string[] = c.lifecycle?.preStop?.exec?.command ?? [];
      const pause = cmd[0] === 'sleep' ? Number(cmd[1]) * 1000 : 0;
      expect(d.spec.template.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(grace + pause);
    }
  });

  test('Prometheus scrape annotations point at the container’s /metrics port', () => {
    for (const role of ROLES) {
      const a = deployment(role).spec.template.metadata.annotations;
      expect(a['prometheus.io/scrape']).toBe('true');
      expect(a['prometheus.io/path']).toBe('/metrics');
      expect(Number(a['prometheus.io/port'])).toBe(portOfMode([role])!);
    }
  });
});

describe('k8s Services, Ingress, PDBs', () => {
  const servicePort = (svc: string, ref: Obj) => {
    const s = one('Service', svc);
    return s.spec.ports.find((p: Obj) => (ref.name ? p.name === ref.name : p.port === ref.number));
  };

  test('Services select their Deployment and forward to its port', () => {
    for (const [role, port] of [['intake', 5000], ['results', 5001], ['worker', 5002]] as const) {
      const svc = one('Service', `secbot-${role}`);
      const d = deployment(role);
      expect(svc.spec.selector).toEqual(d.spec.selector.matchLabels);
      expect(svc.spec.ports).toHaveLength(1);
      expect(svc.spec.ports[0].port).toBe(port);
      const target = svc.spec.ports[0].targetPort;
      expect(container(d).ports.find((p: Obj) => p.name === target || p.containerPort === target).containerPort).toBe(port);
    }
  });

  test('Ingress routes exactly the webhook (to intake) and the gate (to results)', () => {
    const ing = one('Ingress', 'secbot');
    const paths = ing.spec.rules.flatMap((r: Obj) => r.http.paths) as Obj[];
    expect(paths.map((p) => [p.path, p.pathType, p.backend.service.name])).toEqual([
      ['/v1/gitlab/webhook', 'Exact', 'secbot-intake'],
      ['/v1/security/gitlab/check', 'Prefix', 'secbot-results'],
    ]);
    for (const p of paths) expect(servicePort(p.backend.service.name, p.backend.service.port)).toBeDefined();
    // The same routes SecBot serves (src/http/intake-app.ts, results-app.ts).
    expect(read('src/http/intake-app.ts')).toContain("'/v1/gitlab/webhook'");
    expect(read('src/http/results-app.ts')).toContain("'/v1/security/gitlab/check/:security_check_id'");
  });

  test('nothing internal is reachable through the Ingress (Kubernetes path matching rules)', () => {
    const paths = one('Ingress', 'secbot').spec.rules.flatMap((r: Obj) => r.http.paths) as Obj[];
    const routed = (url: string) =>
      paths.some((p) => (p.pathType === 'Exact' ? url === p.path : url === p.path || url.startsWith(`${p.path.replace(/\/$/, '')}/`)));
    for (const internal of ['/v1/admin', '/v1/admin/checks', '/metrics', '/healthz', '/readyz', '/docs', '/docs/json', '/', '/v1/gitlab/webhook/x', '/v1/security/gitlab/checks'])
      expect({ internal, routed: routed(internal) }).toEqual({ internal, routed: false });
    expect(routed('/v1/gitlab/webhook')).toBe(true);
    expect(routed('/v1/security/gitlab/check/GIT_LOCAL_' + 'a'.repeat(64))).toBe(true);
  });

  test('a PodDisruptionBudget (minAvailable 1) per Deployment', () => {
    expect(byKind('PodDisruptionBudget')).toHaveLength(3);
    for (const role of ROLES) {
      const pdb = one('PodDisruptionBudget', `secbot-${role}`);
      expect(pdb.spec.minAvailable).toBe(1);
      expect(pdb.spec.selector.matchLabels).toEqual(deployment(role).spec.selector.matchLabels);
    }
  });
});

describe('k8s configuration and migration', () => {
  const secret = one('Secret', 'secbot-secrets');
  const envCm = one('ConfigMap', 'secbot-env');

  test('the Secret holds the credentials, as placeholders only', () => {
    expect(Object.keys(secret.stringData).sort()).toEqual(['DEFECTDOJO__TOKEN', 'GITLAB_CONFIGS', 'SECBOT_ADMIN_TOKEN', 'SECBOT_DATABASE_URL', 'SLACK_TOKEN']);
    for (const [k, v] of Object.entries(secret.stringData as Record<string, string>)) expect({ k, placeholder: v.includes('REPLACE_ME') }).toEqual({ k, placeholder: true });
    for (const f of files) for (const p of REAL_SECRET_PATTERNS) expect(read(`k8s/${f}`)).not.toMatch(p);
    // Nothing secret in the plain ConfigMap.
    for (const k of Object.keys(envCm.data)) expect(k).not.toMatch(/TOKEN|SECRET|PASSWORD|DATABASE_URL|GITLAB_CONFIGS/);
  });

  test('ConfigMap config.yml passes SecBot’s own workflow validation with the manifests’ environment', () => {
    const env = { ...envCm.data, ...secret.stringData };
    const wf = parseWorkflow(one('ConfigMap', 'secbot-config').data['config.yml'], catalogOf(), env, 'k8s/configmap-config.yaml');
    expect(wf.jobs.length).toBeGreaterThan(0);
    expect([...wf.components.keys()].sort()).toEqual(['defectdojo', 'gitleaks', 'slack']);
    const s = loadSettings(env);
    expect(s.adminToken).toBeDefined();
    expect(s.gitlab).toHaveLength(1);
  });

  test('the migration Job runs `secbot migrate` once with the same environment', () => {
    const job = one('Job', 'secbot-migrate');
    const c = job.spec.template.spec.containers[0];
    expect(c.args).toEqual(['migrate']);
    expect(commandOf(c.args)).toEqual({ kind: 'migrate' });
    expect(['Never', 'OnFailure']).toContain(job.spec.template.spec.restartPolicy);
    expect(loadSettings(podEnv(c)).databaseUrl.startsWith('postgres://')).toBe(true);
  });
});

/** kustomize renders the directory the way `kubectl apply -k` would; only where kubectl is installed. */
const kubectl = Bun.which('kubectl');
describe('kubectl kustomize (when installed)', () => {
  test.skipIf(!kubectl)('renders every resource but the example Secret, with the image set', () => {
    const r = Bun.spawnSync([kubectl!, 'kustomize', DIR], { stdout: 'pipe', stderr: 'pipe' });
    expect({ exit: r.exitCode, stderr: r.stderr.toString() }).toEqual({ exit: 0, stderr: '' });
    const rendered = parseAllDocuments(r.stdout.toString()).map((d) => d.toJS() as Obj);
    expect(rendered).toHaveLength(docs.filter((d) => d.file !== 'secret.example.yaml').length);
    expect(rendered.filter((d) => d.kind === 'Secret')).toEqual([]);
    const images = rendered.flatMap((d) => d.spec?.template?.spec?.containers ?? []).map((c: Obj) => c.image);
    const { newName, newTag } = kustomization.images[0];
    expect(new Set(images)).toEqual(new Set([`${newName}:${newTag}`]));
  });
});
