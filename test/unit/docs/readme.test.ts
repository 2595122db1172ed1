/** The README's configuration reference is checked against the zod schemas, so it cannot drift from the code. */
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { SETTINGS_VARIABLES } from '../../../src/config/settings.ts';
import { ALL_DEFINITIONS } from '../../../src/plugins/registry.ts';

const readme = readFileSync(join(import.meta.dir, '../../../README.md'), 'utf8');
const settingsTable = readme.slice(readme.indexOf('### Service settings'), readme.indexOf('### Workflow'));
const workflowTable = readme.slice(readme.indexOf('### Workflow'), readme.indexOf('## Integration'));

function objectKeys(schema: z.ZodType): string[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, unknown> };
  return Object.keys(json.properties ?? {});
}

describe('README configuration reference', () => {
  test('lists every environment variable SecBot reads, and no other SECBOT_ variable', () => {
    for (const v of SETTINGS_VARIABLES) expect(settingsTable).toContain(`| \`${v}\` |`);
    const documented = [...settingsTable.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...SETTINGS_VARIABLES].sort());
  });

  test('lists every config.yml field and env parameter of every handler', () => {
    for (const def of ALL_DEFINITIONS) {
      expect(workflowTable).toContain(`| \`${def.handlerName}\` |`);
      for (const key of objectKeys(def.configSchema)) expect(workflowTable).toContain(`\`${key}\``);
      for (const p of def.envParams) expect(workflowTable).toMatch(new RegExp(`env [^|]*\`${p.key}\``));
    }
  });

  test('names the two Quick start commands that .ci/run and the scripts use', () => {
    const quick = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('## How it works'));
    expect(quick).toContain('./scripts/quickstart.sh');
    expect(quick).toContain('./scripts/test.sh');
    expect(readFileSync(join(import.meta.dir, '../../../.ci/run'), 'utf8')).toContain('./scripts/test.sh');
  });
});
