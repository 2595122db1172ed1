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
    /**
     * `secbot` (SecBot's detection pack, the default), `gitleaks-default` (gitleaks' built-in rules only) or the path
     * of a gitleaks TOML file on the SecBot host. Left unset here so that a clash with `rules_file` can be told apart;
     * rules.ts applies the default.
     */
    rules: z.string().min(1).optional(),
    /** Deprecated alias of `rules: <path>`. */
    rules_file: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.rules !== undefined && c.rules_file !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['rules_file'],
        message: 'rules_file is a deprecated alias of rules: set only rules (secbot, gitleaks-default or the path of a TOML file)',
      });
    }
  });

export type GitleaksConfig = z.infer<typeof gitleaksConfigSchema>;
