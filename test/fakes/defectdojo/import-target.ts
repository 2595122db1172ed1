// The permission pre-check of import/reimport (CONTRACT.md §5.2, §6). It runs before field
// validation and answers with bare JSON lists, so its errors win over field errors.

import type { EngagementRecord, ProductRecord, ProductTypeRecord, TestRecord } from './types.ts';
import { rawField } from './import-form.ts';
import { findById, type Store } from './store.ts';

export interface ContextNames {
  productTypeName?: string;
  productName?: string;
  engagementName?: string;
}

export type ImportTarget =
  | { kind: 'engagement'; engagement: EngagementRecord }
  | { kind: 'create'; names: Required<Pick<ContextNames, 'productName' | 'engagementName'>> & ContextNames };

export type ReimportTarget = { kind: 'test'; test: TestRecord } | ImportTarget;

type Result<T> = { error: string } | { target: T };

const INCONSISTENT = 'The provided identifiers are inconsistent — ';

function namesOf(form: FormData): ContextNames {
  return {
    productTypeName: rawField(form, 'product_type_name'),
    productName: rawField(form, 'product_name'),
    engagementName: rawField(form, 'engagement_name'),
  };
}

interface Lookup {
  productType?: ProductTypeRecord;
  product?: ProductRecord;
  engagement?: EngagementRecord;
}

/** Name lookup; a product under another product type is an error of its own. */
function lookupByNames(store: Store, n: ContextNames): { error: string } | Lookup {
  const s = store.state;
  const productType = s.productTypes.find((t) => t.name === n.productTypeName);
  const product = s.products.find((p) => p.name === n.productName);
  if (product && n.productTypeName) {
    const actual = findById(s.productTypes, product.prod_type)!;
    if (actual.name !== n.productTypeName) {
      return { error: `The fetched product has a conflict with the supplied product type name: existing product type name - ${actual.name} vs supplied product type name - ${n.productTypeName}` };
    }
  }
  // Engagement names are not unique: the most recently created one wins.
  const engagement = product
    ? s.engagements.filter((e) => e.product === product.id && e.name === n.engagementName).at(-1)
    : undefined;
  return { productType, product, engagement };
}

function missingContextError(n: ContextNames, found: Lookup, autoCreate: boolean): string | undefined {
  if (!n.productName) return 'product_name parameter missing';
  if (!n.engagementName) return 'engagement_name parameter missing';
  if (autoCreate) {
    if (!found.product && !n.productTypeName) {
      return `Product "${n.productName}" does not exist and no product_type_name provided to create the new product in`;
    }
    return undefined;
  }
  if (n.productTypeName && !found.productType) return `Product Type "${n.productTypeName}" does not exist`;
  if (!found.product) {
    return n.productTypeName
      ? `Product "${n.productName}" does not exist in Product_Type "${n.productTypeName}"`
      : `Product "${n.productName}" does not exist`;
  }
  return `Engagement "${n.engagementName}" does not exist in Product "${n.productName}"`;
}

function byNames(store: Store, form: FormData, autoCreate: boolean): Result<ImportTarget> {
  const n = namesOf(form);
  const found = lookupByNames(store, n);
  if ('error' in found) return found;
  if (found.engagement) return { target: { kind: 'engagement', engagement: found.engagement } };
  const error = missingContextError(n, found, autoCreate);
  if (error) return { error };
  return { target: { kind: 'create', names: { ...n, productName: n.productName!, engagementName: n.engagementName! } } };
}

function autoCreateRequested(form: FormData): boolean {
  return ['true', 'True', 'TRUE', '1', 'yes', 'Yes', 'YES', 'y', 'Y', 't', 'T', 'on', 'On', 'ON'].includes(rawField(form, 'auto_create_context') ?? '');
}

export function resolveImportTarget(store: Store, form: FormData): Result<ImportTarget> {
  const rawId = rawField(form, 'engagement');
  if (rawId === undefined) return byNames(store, form, autoCreateRequested(form));
  if (!/^\d+$/.test(rawId)) return { error: 'engagement must be an integer' };
  const engagement = findById(store.state.engagements, Number(rawId));
  if (!engagement) return { error: `Engagement "${rawId}" does not exist` };
  const n = namesOf(form);
  const product = findById(store.state.products, engagement.product)!;
  if (n.productName && n.productName !== product.name) {
    return { error: `${INCONSISTENT}the engagement does not belong to the specified product.` };
  }
  if (n.engagementName && n.engagementName !== engagement.name) {
    return { error: `${INCONSISTENT}the engagement name does not match the specified engagement.` };
  }
  return { target: { kind: 'engagement', engagement } };
}

function testById(store: Store, form: FormData, rawId: string): Result<ReimportTarget> {
  if (!/^\d+$/.test(rawId)) return { error: 'test must be an integer' };
  const test = findById(store.state.tests, Number(rawId));
  if (!test) return { error: `Test "${rawId}" does not exist` };
  const n = namesOf(form);
  const engagement = findById(store.state.engagements, test.engagement)!;
  const product = findById(store.state.products, engagement.product)!;
  if ((n.engagementName && n.engagementName !== engagement.name) || (n.productName && n.productName !== product.name)) {
    return { error: `${INCONSISTENT}the test does not belong to the specified engagement.` };
  }
  return { target: { kind: 'test', test } };
}

/** Reimport ignores an `engagement` id; it targets a test by id or by names + scan_type. */
export function resolveReimportTarget(store: Store, form: FormData): Result<ReimportTarget> {
  const rawId = rawField(form, 'test');
  if (rawId !== undefined) return testById(store, form, rawId);
  const autoCreate = autoCreateRequested(form);
  const scanType = rawField(form, 'scan_type');
  const n = namesOf(form);
  if (!autoCreate && !n.productName && !n.engagementName) {
    return { error: 'Need test_id or product_name + engagement_name + scan_type to perform reimport' };
  }
  const title = rawField(form, 'test_title');
  const resolved = byNames(store, form, autoCreate);
  if ('error' in resolved) return resolved;
  if (resolved.target.kind === 'engagement') {
    const engagement = resolved.target.engagement;
    const test = store.state.tests
      .filter((t) => t.engagement === engagement.id && t.scan_type === scanType && (title === undefined || t.title === title))
      .at(-1);
    if (test) return { target: { kind: 'test', test } };
    if (autoCreate) return resolved;
    if (!scanType) return { error: 'Need test_id or product_name + engagement_name + scan_type to perform reimport' };
    return {
      error: title
        ? `Test "${title}" with scan_type "${scanType}" does not exist in Engagement "${engagement.name}"`
        : `Test with scan_type "${scanType}" does not exist in Engagement "${engagement.name}"`,
    };
  }
  return resolved;
}
