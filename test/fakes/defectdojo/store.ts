// The in-memory database. Id sequences start at different bases so that a client that
// passes a product id where a test id belongs hits a 404/400 instead of a lucky match.

import type {
  EngagementRecord,
  FakeSettings,
  FakeState,
  FindingRecord,
  ProductRecord,
  ProductTypeRecord,
  TestRecord,
} from './types.ts';

export const SCAN_TYPE = 'Gitleaks Scan';
export const TEST_TYPE_ID = 64;
export const USER_ID = 1;
export const ENVIRONMENT_ID = 1;

const ID_BASE = { productType: 1, product: 11, engagement: 101, test: 1001, finding: 10001 };

export interface Store {
  state: FakeState;
  now(): Date;
  nextId(kind: keyof typeof ID_BASE): number;
}

export function createStore(settings: FakeSettings, now: () => Date): Store {
  const counters = { ...ID_BASE };
  const state: FakeState = {
    productTypes: [],
    products: [],
    engagements: [],
    tests: [],
    findings: [],
    unexpected: [],
    pendingDeduplication: [],
    settings,
  };
  return {
    state,
    now,
    nextId(kind) {
      const id = counters[kind];
      counters[kind] = id + 1;
      return id;
    },
  };
}

/** DefectDojo's datetime format: UTC, microseconds, `Z`. */
export function isoMicro(d: Date): string {
  return `${d.toISOString().slice(0, 23)}000Z`;
}

export function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return isoDate(d);
}

export function findById<T extends { id: number }>(list: T[], id: number): T | undefined {
  return list.find((x) => x.id === id);
}

export function productOfTest(store: Store, test: TestRecord): { engagement: EngagementRecord; product: ProductRecord } {
  const engagement = findById(store.state.engagements, test.engagement)!;
  return { engagement, product: findById(store.state.products, engagement.product)! };
}

export function createProductType(store: Store, name: string, extra: Partial<ProductTypeRecord> = {}): ProductTypeRecord {
  const ts = isoMicro(store.now());
  const record: ProductTypeRecord = {
    id: store.nextId('productType'),
    name,
    description: null,
    critical_product: false,
    key_product: false,
    created: ts,
    updated: ts,
    ...extra,
  };
  store.state.productTypes.push(record);
  return record;
}

export function createProduct(store: Store, fields: Pick<ProductRecord, 'name' | 'description' | 'prod_type'> & Partial<ProductRecord>): ProductRecord {
  const record: ProductRecord = {
    id: store.nextId('product'),
    tags: [],
    sla_configuration: 1,
    enable_simple_risk_acceptance: false,
    created: isoMicro(store.now()),
    ...fields,
  };
  store.state.products.push(record);
  return record;
}

export function createEngagement(store: Store, fields: Pick<EngagementRecord, 'product' | 'target_start' | 'target_end'> & Partial<EngagementRecord>): EngagementRecord {
  const ts = isoMicro(store.now());
  const record: EngagementRecord = {
    id: store.nextId('engagement'),
    name: null,
    engagement_type: 'Interactive',
    status: 'Not Started',
    description: null,
    version: null,
    branch_tag: null,
    commit_hash: null,
    build_id: null,
    source_code_management_uri: null,
    deduplication_on_engagement: false,
    lead: null,
    tags: [],
    active: true,
    created: ts,
    updated: ts,
    ...fields,
  };
  store.state.engagements.push(record);
  return record;
}

export function createTest(store: Store, fields: Pick<TestRecord, 'engagement' | 'target_start' | 'target_end'> & Partial<TestRecord>): TestRecord {
  const ts = isoMicro(store.now());
  const record: TestRecord = {
    id: store.nextId('test'),
    title: null,
    scan_type: SCAN_TYPE,
    tags: [],
    percent_complete: 50,
    version: '',
    build_id: '',
    commit_hash: '',
    branch_tag: '',
    lead: null,
    environment: ENVIRONMENT_ID,
    created: ts,
    updated: ts,
    ...fields,
  };
  store.state.tests.push(record);
  return record;
}

export type NewFinding = Pick<FindingRecord, 'test' | 'title' | 'parser_title' | 'severity' | 'description' | 'file_path' | 'line' | 'hash_code' | 'nb_occurences' | 'date'> & Partial<FindingRecord>;

export function createFinding(store: Store, fields: NewFinding): FindingRecord {
  const ts = isoMicro(store.now());
  const record: FindingRecord = {
    id: store.nextId('finding'),
    cwe: 798,
    active: true,
    verified: false,
    false_p: false,
    duplicate: false,
    duplicate_finding: null,
    out_of_scope: false,
    risk_accepted: false,
    under_review: false,
    is_mitigated: false,
    mitigated: null,
    mitigated_by: null,
    static_finding: true,
    dynamic_finding: false,
    service: null,
    tags: [],
    notes: [],
    created: ts,
    updated: ts,
    last_status_update: ts,
    ...fields,
  };
  store.state.findings.push(record);
  return record;
}

/** Close a finding the way close_old_findings and reimport do. */
export function mitigate(store: Store, f: FindingRecord, when: string, note?: string): void {
  f.active = false;
  f.is_mitigated = true;
  f.mitigated = when;
  f.mitigated_by = USER_ID;
  f.risk_accepted = false;
  if (note) f.notes.push(note);
  f.updated = f.last_status_update = isoMicro(store.now());
}

export function isMitigated(f: FindingRecord): boolean {
  return !f.active && (f.is_mitigated || f.mitigated !== null);
}
