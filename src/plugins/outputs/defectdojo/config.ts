import { z } from 'zod';
import { SEVERITIES } from '../../../core/results.ts';

export const defectDojoConfigSchema = z
  .object({
    minimum_severity: z.enum(SEVERITIES as [string, ...string[]]).default('Info'),
    /** Import clean scans too, so DefectDojo shows every scan SecBot ran. */
    import_empty_reports: z.boolean().default(true),
    /** DefectDojo ≥ 3.1 deduplicates inside the import request with `sync`; older servers ignore the field. */
    deduplication_execution_mode: z.enum(['sync', 'async_wait', 'async']).default('sync'),
    /** Product type for new products; default: the GitLab host the event came from. */
    product_type_name: z.string().min(1).max(255).optional(),
    timeout_seconds: z.number().int().min(1).max(3600).default(300),
    /**
     * After an import whose answer was lost (timeout, dropped connection), wait this long for it to appear in
     * DefectDojo before importing again; default: twice timeout_seconds. Also how long a tagged test below
     * percent_complete 100 must show no progress before it counts as abandoned (one still moving is waited for).
     * DefectDojo has no idempotency key, so this is what keeps a slow import from becoming two tests.
     */
    import_grace_seconds: z.number().int().min(0).max(24 * 3600).optional(),
  })
  .strict();

export type DefectDojoConfig = z.infer<typeof defectDojoConfigSchema>;
