// Shapes shared by the fake DefectDojo modules. Field names follow the API (snake_case)
// so that a record can be compared with a response body without translation.

export type Severity = 'Critical' | 'High' | 'Medium' | 'Low' | 'Info';
export type DedupMode = 'async' | 'async_wait' | 'sync';

export interface ProductTypeRecord {
  id: number;
  name: string;
  description: string | null;
  critical_product: boolean;
  key_product: boolean;
  created: string;
  updated: string;
}

export interface ProductRecord {
  id: number;
  name: string;
  description: string;
  prod_type: number;
  tags: string[];
  sla_configuration: number;
  /** Without it DefectDojo refuses `risk_accepted` in a finding PATCH ("use the UI"). */
  enable_simple_risk_acceptance: boolean;
  created: string;
}

export interface EngagementRecord {
  id: number;
  name: string | null;
  product: number;
  target_start: string;
  target_end: string;
  engagement_type: string;
  status: string;
  description: string | null;
  version: string | null;
  branch_tag: string | null;
  commit_hash: string | null;
  build_id: string | null;
  source_code_management_uri: string | null;
  deduplication_on_engagement: boolean;
  lead: number | null;
  tags: string[];
  active: boolean;
  created: string;
  updated: string;
}

export interface TestRecord {
  id: number;
  engagement: number;
  title: string | null;
  scan_type: string;
  tags: string[];
  target_start: string;
  target_end: string;
  percent_complete: number;
  /** Free text; set through PATCH (SecBot notes there what it could not scan). */
  description?: string | null;
  version: string;
  build_id: string;
  commit_hash: string;
  branch_tag: string;
  lead: number | null;
  environment: number;
  created: string;
  updated: string;
}

export interface FindingRecord {
  id: number;
  test: number;
  /** Stored (title-cased) title, as the API returns it. */
  title: string;
  /** Title before title-casing; it is what the hash_code was computed from. */
  parser_title: string;
  severity: Severity;
  description: string;
  file_path: string | null;
  line: number | null;
  cwe: number;
  hash_code: string;
  nb_occurences: number | null;
  active: boolean;
  verified: boolean;
  false_p: boolean;
  duplicate: boolean;
  duplicate_finding: number | null;
  out_of_scope: boolean;
  risk_accepted: boolean;
  under_review: boolean;
  is_mitigated: boolean;
  mitigated: string | null;
  mitigated_by: number | null;
  static_finding: boolean;
  dynamic_finding: boolean;
  service: string | null;
  date: string;
  tags: string[];
  notes: string[];
  created: string;
  updated: string;
  last_status_update: string;
}

/** One HTTP request as the fake saw it. The Authorization header is never stored. */
export interface RequestRecord {
  method: string;
  path: string;
  query: Record<string, string[]>;
  headers: Record<string, string>;
  contentType: string | null;
  /** Multipart text fields (repeated fields keep every value). */
  form?: Record<string, string[]>;
  /** Uploaded files: name, size and the decoded text; never the raw bytes. */
  files?: { field: string; filename: string; size: number; text: string }[];
  /** Parsed JSON body (or the raw text when it is not JSON). */
  body?: unknown;
  status?: number;
  receivedAt: Date;
}

export interface UnexpectedRequest {
  method: string;
  path: string;
  reason: string;
}

export interface FakeSettings {
  /** System Settings → "Deduplicate findings". Off by default, as in DefectDojo. */
  enableDeduplication: boolean;
  /**
   * Pre-3.1 server, i.e. DefectDojo 2.50.4 (the release SecBot is tested against, and the default): no
   * deduplication_complete / execution-mode field (an unknown field, ignored) / dedup fields on tests, and
   * engagements carry the `prefetch` key. `false` models ≥ 3.1 as read from its source.
   */
  legacy: boolean;
  /** The API user's profile `block_execution` (dedup always inline). */
  blockExecution: boolean;
  /** The API user's profile `deduplication_execution_mode` (null = not set). */
  profileDeduplicationMode: DedupMode | null;
  /**
   * Pending async dedup runs by itself this many ms after a finding is saved (the Celery worker); default 150 ms,
   * so it usually lands shortly after the import answered. null: only runPendingDeduplication() runs it.
   */
  asyncDeduplicationDelayMs: number | null;
  /**
   * How long the import takes per finding (the real 2.50.4 needs ~80 ms per finding on 2 cores). Meanwhile the test
   * is visible at percent_complete 50 with the findings saved so far, like the real server.
   */
  importMsPerFinding: number;
  /**
   * DD_HASHCODE_FIELDS_PER_SCANNER for "Gitleaks Scan" (e.g. ["title","cwe","file_path","line"]); null = no entry,
   * DefectDojo's legacy hash (title, cwe, line, file_path, description).
   */
  hashcodeFields: string[] | null;
  /** System Settings `api_expose_error_details`: 500 bodies carry the error text. */
  exposeErrorDetails: boolean;
  /** DD_SCAN_FILE_MAX_SIZE in bytes. */
  maxScanFileBytes: number;
}

export interface FakeState {
  productTypes: ProductTypeRecord[];
  products: ProductRecord[];
  engagements: EngagementRecord[];
  tests: TestRecord[];
  findings: FindingRecord[];
  /** Requests that hit no route (or a method the fake does not serve). Assert it stays empty. */
  unexpected: UnexpectedRequest[];
  /** Finding ids still waiting for async post-processing. */
  pendingDeduplication: number[];
  settings: FakeSettings;
}
