import { z } from 'zod';

export const gitleaksConfigSchema = z
  .object({
    /** Report format handed to outputs; DefectDojo's Gitleaks parser reads JSON. */
    format: z.literal('json').default('json'),
    /** `diff`: only the commits this event introduced; `full`: the whole history reachable from the commit. */
    mode: z.enum(['diff', 'full']).default('diff'),
    timeout_seconds: z.number().int().min(1).max(24 * 3600).default(600),
    /** Skip blobs larger than this (0 = no limit), as gitleaks' --max-target-megabytes. */
    max_target_megabytes: z.number().int().min(0).default(10),
    /** Honour the repository's own .gitleaks.toml / .gitleaksignore; off by default because the pusher controls them. */
    allow_repo_config: z.boolean().default(false),
    /** A gitleaks rules file (TOML) on the SecBot host; replaces the built-in rules. */
    rules_file: z.string().min(1).optional(),
  })
  .strict();

export type GitleaksConfig = z.infer<typeof gitleaksConfigSchema>;
