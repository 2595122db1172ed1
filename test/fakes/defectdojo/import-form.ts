// Field validation and echo for import-scan / reimport-scan (CONTRACT.md §5.1, §5.4, §6).
// DRF's multipart rules apply: an empty value counts as omitted, the last repeated value
// wins (except `tags`), and omitted booleans become false (or their declared default).

import type { DedupMode, Severity } from './types.ts';
import { addError, err, type FieldErrors } from './errors.ts';
import { SCAN_TYPE, USER_ID, isoDate, type Store } from './store.ts';

export type ScanKind = 'import' | 'reimport';

const TRUE_VALUES = new Set(['t', 'T', 'y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON', '1']);
const FALSE_VALUES = new Set(['f', 'F', 'n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF', '0']);
const SEVERITY_CHOICES = ['Info', 'Low', 'Medium', 'High', 'Critical'];
const GROUP_BY = ['component_name', 'component_name+component_version', 'file_path', 'finding_title', 'vuln_id_from_tool'];
const DEDUP_MODES = ['async', 'async_wait', 'sync'];
const EXTENSIONS = 'xml, csv, nessus, json, jsonl, html, js, zip, xlsx, txt, sarif, fpr, md, log, fvdl';
const STRING_FIELDS = [
  'product_type_name', 'product_name', 'engagement_name', 'branch_tag', 'commit_hash',
  'version', 'build_id', 'service', 'test_title', 'environment', 'source_code_management_uri',
] as const;

export interface ScanInput {
  scanType: string;
  file: File;
  strings: Partial<Record<(typeof STRING_FIELDS)[number], string>>;
  autoCreate: boolean;
  dedupOnEngagement: boolean;
  engagementEndDate?: string;
  scanDate?: string;
  minimumSeverity: Severity;
  /** Only set when the form carried the field; otherwise the parser's value is kept. */
  active?: boolean;
  verified?: boolean;
  tags: string[];
  applyTagsToFindings: boolean;
  closeOld: boolean;
  closeOldProductScope: boolean;
  doNotReactivate: boolean;
  dedupMode?: DedupMode;
  lead: number | null;
  /** The validated fields as the 201 response echoes them. */
  echo: Record<string, unknown>;
}

/** request.data.get(name) as the permission pre-check sees it: last value, '' = absent. */
export function rawField(form: FormData, name: string): string | undefined {
  const values = form.getAll(name);
  const last = values[values.length - 1];
  return typeof last === 'string' && last !== '' ? last : undefined;
}

function boolField(form: FormData, name: string, fallback: boolean, errors: FieldErrors): { value: boolean; present: boolean } {
  const raw = rawField(form, name);
  if (raw === undefined) return { value: fallback, present: false };
  if (TRUE_VALUES.has(raw)) return { value: true, present: true };
  if (FALSE_VALUES.has(raw)) return { value: false, present: true };
  addError(errors, name, err('Must be a valid boolean.'));
  return { value: fallback, present: true };
}

function choiceField(form: FormData, name: string, choices: string[], errors: FieldErrors): string | undefined {
  const raw = rawField(form, name);
  if (raw !== undefined && !choices.includes(raw)) {
    addError(errors, name, err(`"${raw}" is not a valid choice.`, 'invalid_choice'));
  }
  return raw;
}

function validDate(raw: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(raw)) return false;
  const d = new Date(`${raw}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && isoDate(d) === raw;
}

function dateField(form: FormData, name: string, errors: FieldErrors): string | undefined {
  const raw = rawField(form, name);
  if (raw !== undefined && !validDate(raw)) {
    addError(errors, name, err('Date has wrong format. Use one of these formats instead: YYYY-MM-DD.'));
    return undefined;
  }
  return raw;
}

/** A nullable primary-key field; only `lead` can ever match (user 1 exists). */
function pkField(form: FormData, name: string, known: number[], errors: FieldErrors): number | null {
  const raw = rawField(form, name);
  if (raw === undefined) return null;
  if (!/^\d+$/.test(raw)) {
    addError(errors, name, err('Incorrect type. Expected pk value, received str.', 'incorrect_type'));
  } else if (!known.includes(Number(raw))) {
    addError(errors, name, err(`Invalid pk "${raw}" - object does not exist.`, 'does_not_exist'));
  }
  return known.includes(Number(raw)) ? Number(raw) : null;
}

function tagsField(form: FormData, errors: FieldErrors): string[] | undefined {
  const values = form.getAll('tags').filter((v): v is string => typeof v === 'string');
  if (values.length === 0) return undefined;
  const tags = values.flatMap((v) => v.split(',')).filter((t) => t !== '');
  for (const tag of tags) {
    if (/[\s'"]/.test(tag)) {
      addError(errors, 'tags', err(`Invalid tag: '${tag}'. Tags should not contain spaces, commas, or quotes.`));
    }
  }
  return tags;
}

function fileField(form: FormData, errors: FieldErrors): File | undefined {
  const values = form.getAll('file');
  const last = values[values.length - 1];
  if (last === undefined || last === '') return undefined;
  if (typeof last === 'string') {
    addError(errors, 'file', err('The submitted data was not a file. Check the encoding type on the form.'));
    return undefined;
  }
  if (last.name === '') {
    addError(errors, 'file', err('No filename could be determined.', 'no_name'));
    return undefined;
  }
  const dot = last.name.lastIndexOf('.');
  const ext = dot > 0 ? last.name.slice(dot + 1).toLowerCase() : '';
  if (!EXTENSIONS.split(', ').includes(ext)) {
    addError(errors, 'file', err(`File extension “${ext}” is not allowed. Allowed extensions are: ${EXTENSIONS}.`, 'invalid_extension'));
  }
  return last;
}

function scanDateField(store: Store, form: FormData, errors: FieldErrors): string | undefined {
  const scanDate = dateField(form, 'scan_date', errors);
  if (scanDate !== undefined && scanDate > isoDate(store.now())) {
    addError(errors, 'scan_date', err('The scan_date cannot be in the future!'));
  }
  return scanDate;
}

function urlField(form: FormData, errors: FieldErrors): void {
  const raw = rawField(form, 'source_code_management_uri');
  if (raw !== undefined && !/^(https?|ftps?):\/\/[^\s/?#]+[^\s]*$/i.test(raw)) {
    addError(errors, 'source_code_management_uri', err('Enter a valid URL.'));
  }
}

/** Field-level validation, then DRF's validate() (file presence/size) if the fields passed. */
export function validateScanForm(store: Store, form: FormData, kind: ScanKind): { errors: FieldErrors } | { input: ScanInput } {
  const errors: FieldErrors = {};
  const legacy = store.state.settings.legacy;
  const scanType = rawField(form, 'scan_type');
  if (scanType === undefined) addError(errors, 'scan_type', err('This field is required.', 'required'));
  else choiceField(form, 'scan_type', [SCAN_TYPE], errors);
  const file = fileField(form, errors);
  const bools = readBooleans(form, kind, errors);
  const minimumSeverity = (choiceField(form, 'minimum_severity', SEVERITY_CHOICES, errors) ?? 'Info') as Severity;
  choiceField(form, 'group_by', GROUP_BY, errors);
  const dedupMode = legacy ? undefined : (choiceField(form, 'deduplication_execution_mode', DEDUP_MODES, errors) as DedupMode | undefined);
  const scanDate = scanDateField(store, form, errors);
  const engagementEndDate = dateField(form, 'engagement_end_date', errors);
  urlField(form, errors);
  const lead = pkField(form, 'lead', [USER_ID], errors);
  pkField(form, 'endpoint_to_add', [], errors);
  pkField(form, 'api_scan_configuration', [], errors);
  const tags = tagsField(form, errors);
  if (Object.keys(errors).length > 0) return { errors };
  if (!file) return { errors: { non_field_errors: [err(`Uploading a Report File is required for ${SCAN_TYPE}`)] } };
  if (file.size > store.state.settings.maxScanFileBytes) {
    const mb = Math.floor(store.state.settings.maxScanFileBytes / (1024 * 1024));
    return { errors: { non_field_errors: [err(`Report file is too large. Maximum supported size is ${mb} MB`)] } };
  }
  const strings: ScanInput['strings'] = {};
  for (const name of STRING_FIELDS) {
    const v = form.getAll(name).at(-1);
    if (typeof v === 'string') strings[name] = v;
  }
  const input: ScanInput = {
    scanType: scanType!, file, strings, minimumSeverity, dedupMode, scanDate, engagementEndDate, lead,
    tags: tags ?? [], ...bools.values, echo: {},
  };
  input.echo = buildEcho(form, kind, input, bools.echo, tags, legacy);
  return { input };
}

function readBooleans(form: FormData, kind: ScanKind, errors: FieldErrors) {
  const b = (name: string, fallback = false) => boolField(form, name, fallback, errors);
  const active = b('active');
  const verified = b('verified');
  const values = {
    active: active.present ? active.value : undefined,
    verified: verified.present ? verified.value : undefined,
    autoCreate: b('auto_create_context').value,
    dedupOnEngagement: b('deduplication_on_engagement').value,
    applyTagsToFindings: b('apply_tags_to_findings').value,
    closeOld: b('close_old_findings', kind === 'reimport').value,
    closeOldProductScope: b('close_old_findings_product_scope').value,
    doNotReactivate: kind === 'reimport' ? b('do_not_reactivate').value : false,
  };
  const echo: Record<string, boolean> = {
    active: active.value, verified: verified.value, auto_create_context: values.autoCreate,
    deduplication_on_engagement: values.dedupOnEngagement, push_to_jira: b('push_to_jira').value,
    create_finding_groups_for_all_findings: b('create_finding_groups_for_all_findings', true).value,
    apply_tags_to_findings: values.applyTagsToFindings, apply_tags_to_endpoints: b('apply_tags_to_endpoints').value,
    close_old_findings: values.closeOld, close_old_findings_product_scope: values.closeOldProductScope,
  };
  if (kind === 'reimport') echo.do_not_reactivate = values.doNotReactivate;
  return { values, echo };
}

function buildEcho(form: FormData, kind: ScanKind, input: ScanInput, bools: Record<string, boolean>, tags: string[] | undefined, legacy: boolean): Record<string, unknown> {
  const echo: Record<string, unknown> = { minimum_severity: input.minimumSeverity, ...bools, endpoint_to_add: null, lead: input.lead, api_scan_configuration: null };
  for (const [name, value] of Object.entries(input.strings)) echo[name] = value;
  if (input.scanDate) echo.scan_date = input.scanDate;
  if (input.engagementEndDate) echo.engagement_end_date = input.engagementEndDate;
  if (input.dedupMode && !legacy) echo.deduplication_execution_mode = input.dedupMode;
  const group = rawField(form, 'group_by');
  if (group) echo.group_by = group;
  const engagement = rawField(form, 'engagement');
  if (kind === 'import' && engagement) echo.engagement = Number(engagement);
  echo.scan_type = input.scanType;
  if (tags) echo.tags = tags;
  return echo;
}
