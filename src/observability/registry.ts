/**
 * A small Prometheus registry (text exposition format 0.0.4): counters, gauges, histograms with labels, and
 * collectors that compute gauges at scrape time (queue depth). One registry per process, passed where needed.
 *
 * A process serving several ports (`secbot all`) must not expose one series on two ports, or a Prometheus scraping
 * both counts it twice. So metrics can be owned by a role (or by the value of a label, such as the HTTP `app`),
 * and `render` takes the set of roles the scraped port speaks for.
 */
type Labels = Record<string, string>;

/** Which roles a rendering speaks for; metrics without an owner are always rendered. */
export type OwnerFilter = (role: string) => boolean;

/** A metric's owner: a role, or the label whose value names the role of each series. */
export type Owner = { role: string } | { label: string };

interface Metric {
  render(owns?: OwnerFilter): string[];
}

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

function labelText(names: readonly string[], values: readonly string[], extra = ''): string {
  const parts = names.map((n, i) => `${n}="${escapeLabel(values[i] ?? '')}"`);
  if (extra) parts.push(extra);
  return parts.length ? `{${parts.join(',')}}` : '';
}

const zero = () => ({ n: 0 });

abstract class Labelled<V> implements Metric {
  protected series = new Map<string, { values: string[]; v: V }>();
  private owner: Owner | undefined;
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    private readonly type: string,
  ) {}
  /** On every request of every route: the key is built without intermediate arrays. */
  protected entry(labels: Labels, init: () => V): V {
    const names = this.labelNames;
    let key = '';
    for (let i = 0; i < names.length; i++) key += i === 0 ? (labels[names[i]!] ?? '') : `\u0000${labels[names[i]!] ?? ''}`;
    let e = this.series.get(key);
    if (!e) {
      e = { values: names.map((n) => labels[n] ?? ''), v: init() };
      this.series.set(key, e);
    }
    return e.v;
  }
  /** Declares whose metric this is (see the file comment); returns the metric for chaining. */
  ownedBy(owner: Owner): this {
    this.owner = owner;
    return this;
  }
  render(owns?: OwnerFilter): string[] {
    const o = this.owner;
    if (owns && o && 'role' in o && !owns(o.role)) return [];
    const idx = owns && o && 'label' in o ? this.labelNames.indexOf(o.label) : -1;
    const keep = idx < 0 ? undefined : (values: readonly string[]) => owns!(values[idx] ?? '');
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`, ...this.lines(keep)];
  }
  protected entries(keep?: (values: readonly string[]) => boolean) {
    const all = [...this.series.values()];
    return keep ? all.filter((e) => keep(e.values)) : all;
  }
  protected abstract lines(keep?: (values: readonly string[]) => boolean): string[];
}

export class Counter extends Labelled<{ n: number }> {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, labelNames, 'counter');
  }
  inc(labels: Labels = {}, by = 1): void {
    this.entry(labels, zero).n += by;
  }
  get(labels: Labels = {}): number {
    return this.entry(labels, () => ({ n: 0 })).n;
  }
  protected lines(keep?: (values: readonly string[]) => boolean): string[] {
    return this.entries(keep).map((e) => `${this.name}${labelText(this.labelNames, e.values)} ${e.v.n}`);
  }
}

export class Gauge extends Labelled<{ n: number }> {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, labelNames, 'gauge');
  }
  set(labels: Labels, value: number): void {
    this.entry(labels, () => ({ n: 0 })).n = value;
  }
  reset(): void {
    this.series.clear();
  }
  protected lines(keep?: (values: readonly string[]) => boolean): string[] {
    return this.entries(keep).map((e) => `${this.name}${labelText(this.labelNames, e.values)} ${e.v.n}`);
  }
}

export class Histogram extends Labelled<{ counts: number[]; sum: number; count: number }> {
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    readonly buckets: readonly number[],
  ) {
    super(name, help, labelNames, 'histogram');
  }
  private readonly init = () => ({ counts: this.buckets.map(() => 0), sum: 0, count: 0 });
  observe(labels: Labels, value: number): void {
    const e = this.entry(labels, this.init);
    const buckets = this.buckets;
    for (let i = 0; i < buckets.length; i++) if (value <= buckets[i]!) e.counts[i]!++;
    e.sum += value;
    e.count++;
  }
  protected lines(keep?: (values: readonly string[]) => boolean): string[] {
    const out: string[] = [];
    for (const e of this.entries(keep)) {
      this.buckets.forEach((b, i) => {
        out.push(`${this.name}_bucket${labelText(this.labelNames, e.values, `le="${b}"`)} ${e.v.counts[i]}`);
      });
      out.push(`${this.name}_bucket${labelText(this.labelNames, e.values, 'le="+Inf"')} ${e.v.count}`);
      out.push(`${this.name}_sum${labelText(this.labelNames, e.values)} ${e.v.sum}`);
      out.push(`${this.name}_count${labelText(this.labelNames, e.values)} ${e.v.count}`);
    }
    return out;
  }
}

export class Registry {
  private metrics: Metric[] = [];
  private collectors: (() => Promise<void>)[] = [];

  register<M extends Metric>(m: M): M {
    this.metrics.push(m);
    return m;
  }

  /** Runs before each scrape; a failing collector is skipped (the scrape still answers). */
  onCollect(fn: () => Promise<void>): void {
    this.collectors.push(fn);
  }

  /** `owns`: the roles the scraped port speaks for (all metrics when omitted). */
  async render(owns?: OwnerFilter): Promise<string> {
    await Promise.all(this.collectors.map((c) => c().catch(() => undefined)));
    return `${this.metrics.flatMap((m) => m.render(owns)).join('\n')}\n`;
  }
}
