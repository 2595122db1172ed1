// Steps shared by import-scan and reimport-scan (CONTRACT.md §5.3): auto-created context,
// the Test, parsing, and saving findings with their hash_code, all inside the request.

import type { EngagementRecord, FindingRecord, Severity, TestRecord } from './types.ts';
import type { ScanInput } from './import-form.ts';
import type { ImportTarget } from './import-target.ts';
import { computeHashCode } from './hash-code.ts';
import { ReportCrashError, ReportFormatError, cleanParserTag, parseGitleaksReport, type ParsedFinding } from './gitleaks-parser.ts';
import { djangoValidation, internalError } from './errors.ts';
import { titlecase } from './titlecase.ts';
import { SEVERITIES } from './serializers.ts';
import {
  USER_ID, addDays, createEngagement, createFinding, createProduct, createProductType, createTest,
  findById, isoDate, isoMicro, mitigate, type Store,
} from './store.ts';

/** Everything a scan handler needs besides the form. */
export interface ScanContext {
  store: Store;
  /** Arms the optional timer that runs pending async dedup. */
  scheduleDedup(): void;
  /** A sleep that stopping the fake cuts short (slow imports). */
  sleep(ms: number): Promise<void>;
}

export function ensureEngagement(store: Store, target: ImportTarget, input: ScanInput): EngagementRecord {
  if (target.kind === 'engagement') return target.engagement;
  const s = store.state;
  const { productName, productTypeName, engagementName } = target.names;
  let product = s.products.find((p) => p.name === productName);
  if (!product) {
    const type = s.productTypes.find((t) => t.name === productTypeName) ?? createProductType(store, productTypeName!);
    product = createProduct(store, { name: productName, description: productName, prod_type: type.id });
  }
  const existing = s.engagements.filter((e) => e.product === product.id && e.name === engagementName).at(-1);
  if (existing) return existing;
  const today = isoDate(store.now());
  return createEngagement(store, {
    product: product.id,
    name: engagementName,
    engagement_type: 'CI/CD',
    status: 'In Progress',
    target_start: today,
    target_end: input.engagementEndDate ?? addDays(today, 365),
    lead: USER_ID,
    deduplication_on_engagement: input.dedupOnEngagement,
    source_code_management_uri: input.strings.source_code_management_uri ?? null,
  });
}

/** The scan moment: a scan_date becomes midnight UTC of that day. */
export function scanMoment(store: Store, input: ScanInput): string {
  return input.scanDate ? `${input.scanDate}T00:00:00Z` : isoMicro(store.now());
}

export function lowerTags(tags: string[]): string[] {
  return [...new Set(tags.map((t) => t.toLowerCase()))];
}

export function createScanTest(store: Store, engagement: EngagementRecord, input: ScanInput): TestRecord {
  const when = scanMoment(store, input);
  return createTest(store, {
    engagement: engagement.id,
    title: input.strings.test_title ?? null,
    tags: lowerTags(input.tags),
    target_start: when,
    target_end: when,
    version: input.strings.version ?? '',
    branch_tag: input.strings.branch_tag ?? '',
    commit_hash: input.strings.commit_hash ?? '',
    build_id: input.strings.build_id ?? '',
    lead: input.lead,
  });
}

/** Parses the upload; a parse failure becomes the response DefectDojo would send. */
export async function parseUpload(store: Store, input: ScanInput): Promise<ParsedFinding[] | Response> {
  try {
    return parseGitleaksReport(new Uint8Array(await input.file.arrayBuffer()));
  } catch (e) {
    if (e instanceof ReportFormatError) return djangoValidation(e.message);
    const text = e instanceof ReportCrashError ? e.message : String(e);
    return internalError(text, store.state.settings.exposeErrorDetails);
  }
}

export function aboveMinimum(p: ParsedFinding, minimum: Severity): boolean {
  return SEVERITIES.indexOf(p.severity) <= SEVERITIES.indexOf(minimum);
}

export function hashOf(store: Store, p: ParsedFinding, input: ScanInput): string {
  return computeHashCode({ ...p, service: input.strings.service || null }, store.state.settings.hashcodeFields);
}

export function saveFinding(store: Store, test: TestRecord, p: ParsedFinding, input: ScanInput, hash: string): FindingRecord {
  const importTags = input.applyTagsToFindings ? input.tags : [];
  return createFinding(store, {
    test: test.id,
    title: titlecase(p.title.slice(0, 511)),
    parser_title: p.title,
    severity: p.severity,
    description: p.description,
    file_path: p.file_path,
    line: p.line,
    cwe: p.cwe,
    hash_code: hash,
    nb_occurences: p.nb_occurences,
    active: input.active ?? true,
    verified: input.verified ?? false,
    service: input.strings.service || null,
    date: input.scanDate ?? isoDate(store.now()),
    tags: lowerTags([...p.tags.map(cleanParserTag), ...importTags]),
    static_finding: p.static_finding,
    dynamic_finding: p.dynamic_finding,
  });
}

/** close_old_findings on import: same engagement (or product), same scan type, other tests. */
export function closeOldOnImport(store: Store, test: TestRecord, input: ScanInput, newHashes: Set<string>): void {
  const s = store.state;
  const engagement = findById(s.engagements, test.engagement)!;
  const service = input.strings.service || null;
  const when = scanMoment(store, input);
  for (const f of s.findings) {
    const t = findById(s.tests, f.test)!;
    if (t.id === test.id || t.scan_type !== test.scan_type) continue;
    const e = findById(s.engagements, t.engagement)!;
    const inScope = input.closeOldProductScope ? e.product === engagement.product : e.id === engagement.id;
    if (!inScope || !(f.active || f.risk_accepted) || newHashes.has(f.hash_code)) continue;
    if (service ? f.service !== service : f.service) continue;
    mitigate(store, f, when);
  }
}

/** The id block every import/reimport response carries. */
export function idBlock(store: Store, test: TestRecord): Record<string, number> {
  const engagement = findById(store.state.engagements, test.engagement)!;
  const product = findById(store.state.products, engagement.product)!;
  return { test: test.id, test_id: test.id, engagement_id: engagement.id, product_id: product.id, product_type_id: product.prod_type };
}

export function findingsOfTest(store: Store, test: TestRecord): FindingRecord[] {
  return store.state.findings.filter((f) => f.test === test.id);
}
