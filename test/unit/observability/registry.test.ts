/** The Prometheus registry renders text exposition format 0.0.4. */
import { describe, expect, test } from 'bun:test';
import { Counter, Gauge, Histogram, Registry } from '../../../src/observability/registry.ts';

async function rendered(...metrics: (Counter | Gauge | Histogram)[]): Promise<string> {
  const r = new Registry();
  for (const m of metrics) r.register(m);
  return r.render();
}

describe('Counter', () => {
  test('HELP and TYPE lines, then one sample per label set', async () => {
    const c = new Counter('secbot_webhooks_total', 'Webhook deliveries by outcome', ['outcome']);
    c.inc({ outcome: 'accepted' });
    c.inc({ outcome: 'accepted' }, 2);
    c.inc({ outcome: 'ignored' });
    expect(await rendered(c)).toBe(
      [
        '# HELP secbot_webhooks_total Webhook deliveries by outcome',
        '# TYPE secbot_webhooks_total counter',
        'secbot_webhooks_total{outcome="accepted"} 3',
        'secbot_webhooks_total{outcome="ignored"} 1',
        '',
      ].join('\n'),
    );
    expect(c.get({ outcome: 'accepted' })).toBe(3);
  });

  test('without labels the sample has no braces', async () => {
    const c = new Counter('secbot_up_total', 'Starts');
    c.inc();
    expect(await rendered(c)).toBe('# HELP secbot_up_total Starts\n# TYPE secbot_up_total counter\nsecbot_up_total 1\n');
  });

  test('no samples yet: only HELP and TYPE', async () => {
    expect(await rendered(new Counter('x_total', 'X', ['a']))).toBe('# HELP x_total X\n# TYPE x_total counter\n');
  });

  test('labels render in declared order; missing labels are empty', async () => {
    const c = new Counter('t_total', 'T', ['kind', 'handler']);
    c.inc({ handler: 'gitleaks', kind: 'scan' });
    c.inc({ kind: 'notify' });
    const text = await rendered(c);
    expect(text).toContain('t_total{kind="scan",handler="gitleaks"} 1\n');
    expect(text).toContain('t_total{kind="notify",handler=""} 1\n');
  });

  test.each([
    ['back\\slash', 'back\\\\slash'],
    ['say "hi"', 'say \\"hi\\"'],
    ['two\nlines', 'two\\nlines'],
    ['all \\ " \n', 'all \\\\ \\" \\n'],
    ['plain-text_1.0', 'plain-text_1.0'],
  ])('label value %p is escaped as %p', async (value, escaped) => {
    const c = new Counter('e_total', 'E', ['v']);
    c.inc({ v: value });
    const text = await rendered(c);
    expect(text).toContain(`e_total{v="${escaped}"} 1\n`);
    // Every sample stays on one line.
    expect(text.trimEnd().split('\n')).toHaveLength(3);
  });
});

describe('Gauge', () => {
  test('set overwrites, reset clears the series', async () => {
    const g = new Gauge('secbot_queue_depth', 'Tasks waiting', ['state']);
    g.set({ state: 'queued' }, 5);
    g.set({ state: 'queued' }, 2);
    g.set({ state: 'running' }, 1);
    expect(await rendered(g)).toBe(
      '# HELP secbot_queue_depth Tasks waiting\n# TYPE secbot_queue_depth gauge\nsecbot_queue_depth{state="queued"} 2\nsecbot_queue_depth{state="running"} 1\n',
    );
    g.reset();
    expect(await rendered(g)).toBe('# HELP secbot_queue_depth Tasks waiting\n# TYPE secbot_queue_depth gauge\n');
  });
});

describe('Histogram', () => {
  test('cumulative buckets, +Inf, _sum and _count', async () => {
    const h = new Histogram('secbot_task_seconds', 'Task duration', ['kind'], [0.1, 1, 10]);
    for (const v of [0.05, 0.1, 0.5, 2, 20]) h.observe({ kind: 'scan' }, v);
    expect(await rendered(h)).toBe(
      [
        '# HELP secbot_task_seconds Task duration',
        '# TYPE secbot_task_seconds histogram',
        'secbot_task_seconds_bucket{kind="scan",le="0.1"} 2',
        'secbot_task_seconds_bucket{kind="scan",le="1"} 3',
        'secbot_task_seconds_bucket{kind="scan",le="10"} 4',
        'secbot_task_seconds_bucket{kind="scan",le="+Inf"} 5',
        'secbot_task_seconds_sum{kind="scan"} 22.65',
        'secbot_task_seconds_count{kind="scan"} 5',
        '',
      ].join('\n'),
    );
  });

  test('bucket counts never decrease and +Inf equals _count', async () => {
    const h = new Histogram('h', 'H', [], [1, 2, 5, 10]);
    for (const v of [11, 0, 3, 3, 9.99, 10, 1, 100, 2.5]) h.observe({}, v);
    const lines = (await rendered(h)).trimEnd().split('\n').slice(2);
    const buckets = lines.filter((l) => l.startsWith('h_bucket')).map((l) => Number(l.split(' ')[1]));
    expect(buckets).toEqual([2, 2, 5, 7, 9]);
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]).toBeGreaterThanOrEqual(buckets[i - 1]!);
    expect(lines).toContain('h_count 9');
    expect(lines.filter((l) => l.startsWith('h_bucket{le='))).toHaveLength(5);
  });

  test('series with different labels are kept apart', async () => {
    const h = new Histogram('d', 'D', ['k'], [1]);
    h.observe({ k: 'a' }, 0.5);
    h.observe({ k: 'b' }, 5);
    const text = await rendered(h);
    expect(text).toContain('d_bucket{k="a",le="1"} 1\n');
    expect(text).toContain('d_bucket{k="b",le="1"} 0\n');
    expect(text).toContain('d_bucket{k="b",le="+Inf"} 1\n');
    expect(text).toContain('d_sum{k="a"} 0.5\n');
    expect(text).toContain('d_count{k="b"} 1\n');
  });
});

describe('Registry', () => {
  test('renders metrics in registration order, ending with a newline', async () => {
    const r = new Registry();
    const a = r.register(new Counter('a_total', 'A'));
    const b = r.register(new Gauge('b', 'B'));
    a.inc();
    b.set({}, 7);
    expect(await r.render()).toBe('# HELP a_total A\n# TYPE a_total counter\na_total 1\n# HELP b B\n# TYPE b gauge\nb 7\n');
  });

  test('collectors run before each scrape; a failing collector is skipped', async () => {
    const r = new Registry();
    const g = r.register(new Gauge('depth', 'Depth'));
    let n = 0;
    r.onCollect(async () => {
      g.set({}, ++n);
    });
    r.onCollect(async () => {
      throw new Error('database down');
    });
    expect(await r.render()).toContain('depth 1\n');
    expect(await r.render()).toContain('depth 2\n');
  });

  test('ownership: a port renders only what its roles own; label-owned metrics are filtered per series', async () => {
    const r = new Registry();
    const http = r.register(new Counter('http_total', 'H', ['app']).ownedBy({ label: 'app' }));
    const hooks = r.register(new Counter('hooks_total', 'W').ownedBy({ role: 'intake' }));
    const gate = r.register(new Counter('gate_total', 'G').ownedBy({ role: 'results' }));
    const free = r.register(new Counter('free_total', 'F'));
    http.inc({ app: 'intake' });
    http.inc({ app: 'results' }, 2);
    hooks.inc();
    gate.inc();
    free.inc();
    const intake = await r.render((o) => o !== 'results');
    const results = await r.render((o) => o === 'results');
    expect(intake).toContain('http_total{app="intake"} 1\n');
    expect(intake).not.toContain('app="results"');
    expect(intake).toContain('hooks_total 1\n');
    expect(intake).not.toContain('gate_total');
    expect(results).toBe('# HELP http_total H\n# TYPE http_total counter\nhttp_total{app="results"} 2\n# HELP gate_total G\n# TYPE gate_total counter\ngate_total 1\n# HELP free_total F\n# TYPE free_total counter\nfree_total 1\n');
    expect(await r.render()).toContain('http_total{app="results"} 2\n');
  });
});
