// PATCH /api/v2/findings/{id}/ (triage through the API) and PATCH /api/v2/products/{id}/, as DefectDojo 2.50.4
// does them: FindingSerializer.validate() (dojo/api_v2/serializers.py) with its non_field_errors, simple risk
// acceptance only where the product allows it, then the status rules of finding_helper.update_finding_status()
// for the fields that changed (false positive / out of scope imply mitigated and inactive; reactivating clears them).

import type { FindingRecord } from './types.ts';
import { addError, bareNotFound, detail, err, fieldErrors, json, type FieldErrors } from './errors.ts';
import { readCrudBody, type Incoming } from './incoming.ts';
import { serializeFinding, serializeProduct, serializeTest } from './serializers.ts';
import { USER_ID, findById, isoMicro, productOfTest, type Store } from './store.ts';

const FINDING_BOOLEANS = ['active', 'verified', 'false_p', 'duplicate', 'risk_accepted', 'out_of_scope', 'is_mitigated', 'under_review'] as const;
type FindingBoolean = (typeof FINDING_BOOLEANS)[number];

const TRUE = new Set([true, 'true', 'True', 'TRUE', '1', 1, 'yes', 'on', 't', 'y']);
const FALSE = new Set([false, 'false', 'False', 'FALSE', '0', 0, 'no', 'off', 'f', 'n']);

function booleans<K extends string>(body: Record<string, unknown>, names: readonly K[], errors: FieldErrors): Partial<Record<K, boolean>> {
  const out: Partial<Record<K, boolean>> = {};
  for (const name of names) {
    if (!(name in body)) continue;
    const v = body[name];
    if (TRUE.has(v as never)) out[name] = true;
    else if (FALSE.has(v as never)) out[name] = false;
    else addError(errors, name, err('Must be a valid boolean.', 'invalid'));
  }
  return out;
}

function nonField(text: string): Response {
  return fieldErrors({ non_field_errors: [err(text, 'invalid')] });
}

/** FindingSerializer.validate() for PATCH: values not sent are taken from the finding. */
function validateFinding(store: Store, f: FindingRecord, data: Partial<Record<FindingBoolean, boolean>>): Response | undefined {
  const active = data.active ?? f.active;
  const verified = data.verified ?? f.verified;
  const riskAccepted = data.risk_accepted ?? f.risk_accepted;
  if ((active || verified) && (data.duplicate ?? f.duplicate)) return nonField('Duplicate findings cannot be verified or active');
  if ((data.false_p ?? f.false_p) && verified) return nonField('False positive findings cannot be verified.');
  if (riskAccepted && !f.risk_accepted) {
    const { product } = productOfTest(store, findById(store.state.tests, f.test)!);
    if (!product.enable_simple_risk_acceptance) {
      return nonField('Simple risk acceptance is disabled for this product, use the UI to accept this finding.');
    }
  }
  if (active && riskAccepted) return nonField('Active findings cannot be risk accepted.');
  return undefined;
}

/** ra_helper.simple_risk_accept / risk_unaccept, run from validate() before the fields are applied. */
function riskAcceptance(store: Store, f: FindingRecord, data: Partial<Record<FindingBoolean, boolean>>): void {
  if (data.risk_accepted === true && !f.risk_accepted && !data.active) {
    f.risk_accepted = true;
    f.active = false;
    f.notes.push('admin (1) has risk accepted this finding');
  } else if (data.risk_accepted === false && f.risk_accepted) {
    if (!f.mitigated && !f.false_p && !f.out_of_scope) f.active = true;
    f.risk_accepted = false;
  }
  f.updated = isoMicro(store.now());
}

/** finding_helper.update_finding_status() for the changed fields. */
function statusRules(store: Store, f: FindingRecord, changed: Set<string>): void {
  const now = isoMicro(store.now());
  if (changed.has('is_mitigated')) {
    if (f.is_mitigated) {
      f.mitigated ??= now;
      f.mitigated_by ??= USER_ID;
    } else {
      f.mitigated = null;
      f.mitigated_by = null;
    }
  }
  if (f.is_mitigated) {
    f.mitigated ??= now;
    f.mitigated_by ??= USER_ID;
  }
  if (changed.has('active') && f.active) {
    Object.assign(f, { false_p: false, out_of_scope: false, is_mitigated: false, mitigated: null, mitigated_by: null });
  }
  if ((changed.has('false_p') || changed.has('out_of_scope')) && (f.false_p || f.out_of_scope)) {
    f.mitigated ??= now;
    f.mitigated_by ??= USER_ID;
    Object.assign(f, { is_mitigated: true, active: false, verified: false });
  }
  if (!f.duplicate) f.duplicate_finding = null;
  f.last_status_update = now;
}

export async function patchFinding(store: Store, inc: Incoming, rawId: string): Promise<Response> {
  if (!/^\d+$/.test(rawId)) return bareNotFound();
  const f = findById(store.state.findings, Number(rawId));
  if (!f) return detail('No Finding matches the given query.', 404);
  const body = await readCrudBody(inc);
  if (body instanceof Response) return body;
  const errors: FieldErrors = {};
  const data = booleans(body, FINDING_BOOLEANS, errors);
  if (Object.keys(errors).length > 0) return fieldErrors(errors);
  const invalid = validateFinding(store, f, data);
  if (invalid) return invalid;
  riskAcceptance(store, f, data);
  const changed = new Set<string>();
  for (const [k, v] of Object.entries(data) as [FindingBoolean, boolean][]) {
    if (f[k] !== v) changed.add(k);
    f[k] = v;
  }
  if (changed.size > 0) statusRules(store, f, changed);
  f.updated = isoMicro(store.now());
  return json(serializeFinding(store, f, null));
}

/** PATCH /api/v2/tests/{id}/ (TestSerializer, partial): SecBot only ever sends `description`. */
export async function patchTest(store: Store, inc: Incoming, rawId: string): Promise<Response> {
  if (!/^\d+$/.test(rawId)) return bareNotFound();
  const t = findById(store.state.tests, Number(rawId));
  if (!t) return detail('No Test matches the given query.', 404);
  const body = await readCrudBody(inc);
  if (body instanceof Response) return body;
  if ('description' in body) {
    if (body.description !== null && typeof body.description !== 'string') return fieldErrors({ description: [err('Not a valid string.', 'invalid')] });
    t.description = body.description as string | null;
    t.updated = isoMicro(store.now());
  }
  return json(serializeTest(t, store.state.settings.legacy));
}

export async function patchProduct(store: Store, inc: Incoming, rawId: string): Promise<Response> {
  if (!/^\d+$/.test(rawId)) return bareNotFound();
  const p = findById(store.state.products, Number(rawId));
  if (!p) return detail('No Product matches the given query.', 404);
  const body = await readCrudBody(inc);
  if (body instanceof Response) return body;
  const errors: FieldErrors = {};
  const data = booleans(body, ['enable_simple_risk_acceptance'] as const, errors);
  if (Object.keys(errors).length > 0) return fieldErrors(errors);
  if (typeof body.description === 'string') p.description = body.description;
  if (data.enable_simple_risk_acceptance !== undefined) p.enable_simple_risk_acceptance = data.enable_simple_risk_acceptance;
  return json(serializeProduct(store, p));
}

