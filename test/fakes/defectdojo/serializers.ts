// Records → API objects (CONTRACT.md §4, §11, §12.2). Fields the fake does not model get
// the defaults a fresh DefectDojo would return, so a client sees the full key set.

import type { EngagementRecord, FindingRecord, ProductRecord, ProductTypeRecord, Severity, TestRecord } from './types.ts';
import { ENVIRONMENT_ID, SCAN_TYPE, TEST_TYPE_ID, USER_ID, addDays, findById, isoDate, type Store } from './store.ts';

export const SEVERITIES: Severity[] = ['Critical', 'High', 'Medium', 'Low', 'Info'];
const SLA_DAYS: Record<Severity, number | null> = { Critical: 7, High: 30, Medium: 90, Low: 120, Info: null };

export function numericalSeverity(s: Severity): string {
  return `S${SEVERITIES.indexOf(s)}`;
}

export function serializeProductType(p: ProductTypeRecord, legacy: boolean): Record<string, unknown> {
  const members = legacy ? { members: [], authorization_groups: [] } : { authorized_users: [] };
  return { ...p, ...members };
}

export function serializeProduct(store: Store, p: ProductRecord): Record<string, unknown> {
  const findings = store.state.findings.filter((f) => {
    const test = findById(store.state.tests, f.test);
    const eng = test && findById(store.state.engagements, test.engagement);
    return eng?.product === p.id;
  });
  return {
    id: p.id, findings_count: findings.length, findings_list: findings.map((f) => f.id),
    tags: p.tags, product_meta: [], created: p.created, name: p.name, description: p.description,
    prod_type: p.prod_type, sla_configuration: p.sla_configuration, product_manager: null,
    technical_contact: null, team_manager: null, prod_numeric_grade: null,
    business_criticality: null, platform: null, lifecycle: null, origin: null,
    user_records: null, revenue: null, external_audience: false, internet_accessible: false,
    regulations: [], enable_product_tag_inheritance: false, enable_simple_risk_acceptance: p.enable_simple_risk_acceptance,
    enable_full_risk_acceptance: true, disable_sla_breach_notifications: false,
    authorized_users: [],
  };
}

export function serializeEngagement(e: EngagementRecord): Record<string, unknown> {
  return {
    id: e.id, tags: e.tags, name: e.name, description: e.description, version: e.version,
    first_contacted: null, target_start: e.target_start, target_end: e.target_end,
    lead: e.lead, requester: null, preset: null, reason: null, report_type: null,
    product: e.product, active: e.active, tracker: null, test_strategy: null,
    threat_model: true, api_test: true, pen_test: true, check_list: true, notes: [],
    files: [], status: e.status, progress: 'threat_model', tmodel_path: 'none',
    risk_acceptance: [], done_testing: false, engagement_type: e.engagement_type,
    build_id: e.build_id, commit_hash: e.commit_hash, branch_tag: e.branch_tag,
    source_code_management_uri: e.source_code_management_uri,
    deduplication_on_engagement: e.deduplication_on_engagement,
    created: e.created, updated: e.updated,
  };
}

export function serializeTest(t: TestRecord, legacy: boolean): Record<string, unknown> {
  const dedupInfo = legacy ? {} : { deduplication_algorithm: 'hash_code', hash_code_fields: null };
  return {
    id: t.id, tags: t.tags, test_type_name: SCAN_TYPE, ...dedupInfo, finding_groups: [],
    scan_type: t.scan_type, title: t.title, description: t.description ?? null, target_start: t.target_start,
    target_end: t.target_end, percent_complete: t.percent_complete, updated: t.updated,
    created: t.created, version: t.version, build_id: t.build_id, commit_hash: t.commit_hash,
    branch_tag: t.branch_tag, engagement: t.engagement, lead: t.lead, test_type: TEST_TYPE_ID,
    environment: t.environment, api_scan_configuration: null, notes: [], files: [],
  };
}

/** Finding.status() in DefectDojo, shown as `display_status`. */
export function displayStatus(f: FindingRecord): string {
  const parts: string[] = [];
  if (f.under_review) parts.push('Under Review');
  parts.push(f.active ? 'Active' : 'Inactive');
  if (f.verified) parts.push('Verified');
  if (f.mitigated || f.is_mitigated) parts.push('Mitigated');
  if (f.false_p) parts.push('False Positive');
  if (f.out_of_scope) parts.push('Out Of Scope');
  if (f.duplicate) parts.push('Duplicate');
  if (f.risk_accepted) parts.push('Risk Accepted');
  return parts.join(', ');
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

export function relatedFields(store: Store, f: FindingRecord): Record<string, unknown> {
  const t = findById(store.state.tests, f.test)!;
  const e = findById(store.state.engagements, t.engagement)!;
  const p = findById(store.state.products, e.product)!;
  const pt = findById(store.state.productTypes, p.prod_type)!;
  return {
    test: {
      id: t.id, title: t.title, test_type: { id: TEST_TYPE_ID, name: SCAN_TYPE },
      engagement: {
        id: e.id, name: e.name, description: e.description,
        product: { id: p.id, name: p.name, prod_type: { id: pt.id, name: pt.name } },
        target_start: e.target_start, target_end: e.target_end, branch_tag: e.branch_tag,
        engagement_type: e.engagement_type, build_id: e.build_id, commit_hash: e.commit_hash,
        version: e.version, created: e.created, updated: e.updated,
      },
      environment: { id: ENVIRONMENT_ID, name: 'Development' },
      branch_tag: t.branch_tag, build_id: t.build_id, commit_hash: t.commit_hash, version: t.version,
    },
    jira: null,
  };
}

const NULL_FIELDS = [
  'mitigation', 'impact', 'references', 'steps_to_reproduce', 'severity_justification',
  'component_name', 'component_version', 'param', 'payload', 'scanner_confidence',
  'sonarqube_issue', 'sast_source_object', 'sast_sink_object', 'sast_source_line',
  'sast_source_file_path', 'publish_date', 'planned_remediation_date',
  'planned_remediation_version', 'effort_for_fixing', 'fix_available', 'fix_version',
  'epss_score', 'epss_percentile', 'kev_date', 'cvssv3', 'cvssv3_score', 'cvssv4',
  'cvssv4_score', 'url', 'review_requested_by', 'defect_review_requested_by',
];

export function serializeFinding(store: Store, f: FindingRecord, related: Record<string, unknown> | null): Record<string, unknown> {
  const today = isoDate(store.now());
  const slaDays = SLA_DAYS[f.severity];
  const slaExpiration = slaDays === null ? null : addDays(f.date, slaDays);
  const body: Record<string, unknown> = {
    id: f.id, test: f.test, title: f.title, severity: f.severity,
    numerical_severity: numericalSeverity(f.severity), description: f.description,
    file_path: f.file_path, line: f.line, cwe: f.cwe, cwes: [{ cwe: `CWE-${f.cwe}` }],
    hash_code: f.hash_code, unique_id_from_tool: null, vuln_id_from_tool: null,
    nb_occurences: f.nb_occurences, active: f.active, verified: f.verified, false_p: f.false_p,
    duplicate: f.duplicate, duplicate_finding: f.duplicate_finding, out_of_scope: f.out_of_scope,
    risk_accepted: f.risk_accepted, under_review: f.under_review, is_mitigated: f.is_mitigated,
    mitigated: f.mitigated, mitigated_by: f.mitigated_by, display_status: displayStatus(f),
    static_finding: f.static_finding, dynamic_finding: f.dynamic_finding, service: f.service,
    date: f.date, tags: f.tags, found_by: [TEST_TYPE_ID], reporter: USER_ID,
    last_reviewed: f.created, last_reviewed_by: USER_ID, last_status_update: f.last_status_update,
    created: f.created, updated: f.updated, age: daysBetween(f.date, today),
    sla_days_remaining: slaExpiration === null ? null : daysBetween(today, slaExpiration),
    sla_start_date: null, sla_expiration_date: slaExpiration, vulnerability_ids: [],
    endpoints: [], finding_groups: [], finding_meta: [], accepted_risks: [],
    request_response: { req_resp: [] }, related_fields: related, jira_creation: null,
    jira_change: null, push_to_jira: false, notes: f.notes.map((entry, i) => ({ id: i + 1, entry })),
    files: [], reviewers: [], known_exploited: false, ransomware_used: false, thread_id: 0,
    under_defect_review: false,
  };
  for (const k of NULL_FIELDS) body[k] = null;
  return body;
}

const STAT_FIELDS = ['active', 'verified', 'duplicate', 'false_p', 'out_of_scope', 'is_mitigated', 'risk_accepted'] as const;
type Counts = Record<(typeof STAT_FIELDS)[number] | 'total', number>;

function emptyCounts(): Counts {
  return { active: 0, verified: 0, duplicate: 0, false_p: 0, out_of_scope: 0, is_mitigated: 0, risk_accepted: 0, total: 0 };
}

/** The severity → status-count table of `statistics.after` and friends. */
export function statistics(findings: FindingRecord[]): Record<string, Counts> {
  const out: Record<string, Counts> = {};
  for (const s of ['info', 'low', 'medium', 'high', 'critical', 'total']) out[s] = emptyCounts();
  for (const f of findings) {
    for (const bucket of [out[f.severity.toLowerCase()]!, out.total!]) {
      for (const field of STAT_FIELDS) if (f[field]) bucket[field] += 1;
      bucket.total += 1;
    }
  }
  return out;
}
