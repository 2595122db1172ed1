// The `o` choices of each list endpoint, copied from DefectDojo 2.50.4's dojo/filters.py (the same in 3.2.0 for
// engagements). Anything else is a 400 "Select a valid choice. X is not one of the available choices." — which is
// how `engagements/?o=id` broke every SecBot check against a real server. product_types has no `o` filter at all:
// there the parameter is an unknown query parameter and silently ignored.

import type { EngagementRecord, FindingRecord, ProductRecord, TestRecord } from './types.ts';
import { numericalSeverity } from './serializers.ts';

type Getter<T> = (item: T) => string | number | boolean | null;

/** A field the fake does not model: accepted as a choice, every item compares equal. */
const unmodelled = () => null;

function choices<T>(modelled: Record<string, Getter<T>>, others: readonly string[]): Record<string, Getter<T>> {
  return { ...Object.fromEntries(others.map((k) => [k, unmodelled])), ...modelled };
}

/** ApiEngagementFilter.o — no `id`. */
export const ENGAGEMENT_ORDER = choices<EngagementRecord>(
  {
    name: (e) => e.name, version: (e) => e.version, target_start: (e) => e.target_start, target_end: (e) => e.target_end,
    status: (e) => e.status, lead: (e) => e.lead, created: (e) => e.created, updated: (e) => e.updated,
  },
  [],
);

/** ApiTestFilter.o — no `id` either. */
export const TEST_ORDER = choices<TestRecord>(
  {
    title: (t) => t.title, version: (t) => t.version, target_start: (t) => t.target_start, target_end: (t) => t.target_end,
    lead: (t) => t.lead, branch_tag: (t) => t.branch_tag, build_id: (t) => t.build_id, commit_hash: (t) => t.commit_hash,
    engagement: (t) => t.engagement, created: (t) => t.created, updated: (t) => t.updated,
  },
  ['test_type', 'api_scan_configuration'],
);

/** ApiFindingFilter.o — `id` yes; `test`, `hash_code`, `line`, `file_path`, `updated`, `mitigated` no. */
export const FINDING_ORDER = choices<FindingRecord>(
  {
    active: (f) => f.active, created: (f) => f.created, last_status_update: (f) => f.last_status_update, cwe: (f) => f.cwe,
    date: (f) => f.date, duplicate: (f) => f.duplicate, dynamic_finding: (f) => f.dynamic_finding, false_p: (f) => f.false_p,
    id: (f) => f.id, is_mitigated: (f) => f.is_mitigated, numerical_severity: (f) => numericalSeverity(f.severity),
    out_of_scope: (f) => f.out_of_scope, severity: (f) => f.severity, static_finding: (f) => f.static_finding,
    title: (f) => f.title, under_review: (f) => f.under_review, verified: (f) => f.verified,
  },
  ['component_name', 'component_version', 'last_reviewed', 'found_by', 'reviewers', 'test__engagement__product__name', 'under_defect_review'],
);

/** ApiProductFilter.o. */
export const PRODUCT_ORDER = choices<ProductRecord>(
  { id: (p) => p.id, name: (p) => p.name, created: (p) => p.created, prod_type: (p) => p.prod_type },
  [
    'tid', 'prod_numeric_grade', 'business_criticality', 'platform', 'lifecycle', 'origin', 'revenue', 'external_audience',
    'internet_accessible', 'product_manager', 'product_manager__first_name', 'product_manager__last_name', 'technical_contact',
    'technical_contact__first_name', 'technical_contact__last_name', 'team_manager', 'team_manager__first_name',
    'team_manager__last_name', 'prod_type__name', 'updated', 'user_records',
  ],
);
