import { z } from 'zod';

export const gitlabNotifierConfigSchema = z
  .object({
    /** The commit status name (GitLab's `name`); a CI job of the same name in a pipeline makes GitLab refuse it. */
    status_name: z
      .string()
      .min(1)
      .max(200)
      .regex(/^[^\x00-\x1f\x7f]+$/, 'must be one line without control characters')
      .default('secbot'),
    /** When to keep a note on merge requests: `on_findings` creates it once there is something to say and then keeps it current. */
    mr_note: z.enum(['on_findings', 'always', 'never']).default('on_findings'),
    /** Findings listed per table of the note (the rest are counted, the check page lists all). */
    note_limit: z.number().int().min(1).max(500).default(50),
    timeout_seconds: z.number().int().min(1).max(600).default(30),
    /** Wait after a 429 that names no time (GitLab's notes limit never does; REST.md advises at least a minute). */
    rate_limit_seconds: z.number().int().min(1).max(3600).default(60),
  })
  .strict();

export type GitlabNotifierConfig = z.infer<typeof gitlabNotifierConfigSchema>;
