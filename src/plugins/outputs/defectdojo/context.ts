/**
 * Finds or creates the DefectDojo context of a check: product type (the GitLab host), product (the project path),
 * and one CI/CD engagement per branch. Exact-name matching throughout (the products `name` filter is a substring
 * match). Two workers may race: product types and products are unique, so the loser's create fails and it reads the
 * winner's; engagement names are not unique, so after creating one we re-list and everyone settles on the lowest id.
 */
import { PermanentError } from '../../../core/errors.ts';
import type { DefectDojoApi } from '../../../clients/defectdojo/api.ts';

export interface DojoContext {
  productTypeId: number;
  productId: number;
  engagementId: number;
}

export interface ContextRequest {
  productType: string;
  product: string;
  productDescription: string;
  engagement: string;
  repoUrl: string;
  lead?: number;
}

export async function ensureContext(api: DefectDojoApi, r: ContextRequest, signal?: AbortSignal): Promise<DojoContext> {
  const productTypeId = await findOrCreate(
    async () => (await api.findProductTypes(r.productType, signal)).find((t) => t.name === r.productType)?.id,
    async () => (await api.createProductType(r.productType, signal)).id,
  );
  const productId = await findOrCreate(
    async () => (await api.findProducts(r.product, signal)).find((p) => p.name === r.product)?.id,
    async () => (await api.createProduct({ name: r.product, description: r.productDescription, prodType: productTypeId }, signal)).id,
  );
  const lowestEngagement = async () =>
    (await api.findEngagements(productId, r.engagement, signal))
      .filter((e) => e.name === r.engagement && e.product === productId)
      .sort((a, b) => a.id - b.id)[0]?.id;
  let engagementId = await lowestEngagement();
  if (engagementId === undefined) {
    await api.createEngagement({ productId, name: r.engagement, lead: r.lead, branch: r.engagement, repoUrl: r.repoUrl }, signal);
    engagementId = await lowestEngagement();
    if (engagementId === undefined) throw new PermanentError(`DefectDojo did not list the engagement "${r.engagement}" it just created`);
  }
  return { productTypeId, productId, engagementId };
}

/** Find; if absent create; if the create lost a race (unique name taken meanwhile), find again. */
async function findOrCreate(find: () => Promise<number | undefined>, create: () => Promise<number>): Promise<number> {
  const found = await find();
  if (found !== undefined) return found;
  try {
    return await create();
  } catch (err) {
    const again = await find();
    if (again !== undefined) return again;
    throw err;
  }
}
