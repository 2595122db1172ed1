/**
 * Unscanned files are recorded like leaks (kind `unscanned`), so that descendants of the commit inherit the note the
 * same way they inherit findings: a commit's answer says what of its history was never looked at.
 */
import { createHash } from 'node:crypto';
import { UNSCANNED_RULES, type LeakRecord } from '../../../core/leaks.ts';
import type { UnscannedFile } from './unscanned.ts';

export function unscannedLeaks(files: readonly UnscannedFile[], mask: (text: string) => string, maxMegabytes: number): LeakRecord[] {
  const seen = new Set<string>();
  const out: LeakRecord[] = [];
  for (const f of files) {
    const ruleId = f.reason === 'binary' ? UNSCANNED_RULES.binary : UNSCANNED_RULES.tooLarge;
    const leakKey = createHash('sha256').update(`unscanned\u0000${f.commit}\u0000${f.path}\u0000${ruleId}`).digest('hex').slice(0, 32);
    if (seen.has(leakKey)) continue;
    seen.add(leakKey);
    const why = f.reason === 'binary' ? 'git shows it as binary' : `a change of more than ${maxMegabytes} MB (max_target_megabytes)`;
    out.push({
      leakKey,
      kind: 'unscanned',
      commit: f.commit,
      ruleId,
      description: `not scanned: ${why} (${f.sizeBytes} bytes)`,
      file: mask(f.path),
      line: 0,
      fingerprint: '',
      noveltyKey: '',
      severity: null,
      entry: {},
    });
  }
  return out;
}
