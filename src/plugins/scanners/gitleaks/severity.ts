/**
 * Severity of a gitleaks finding, from the `severity:<level>` tag every rule of SecBot's pack carries (gitleaks rules
 * have no severity field; tags reach the JSON report). The scheme, documented in the README:
 * - critical: private keys and live credentials of cloud providers, code hosts and secret stores;
 * - high: other service tokens, passwords in configuration, connection strings, registry credentials;
 * - medium: password hashes, encrypted or short-lived credentials, webhooks;
 * - low: informative leaks (identifiers, keys meant to be public, files that usually hold credentials).
 */
import type { Severity } from '../../../core/results.ts';

const LEVELS: Record<string, Severity> = {
  critical: 'Critical',
  high: 'High',
  medium: 'Medium',
  low: 'Low',
  info: 'Info',
};
const ORDER: readonly Severity[] = ['Critical', 'High', 'Medium', 'Low', 'Info'];

/** The severity named by a finding's tags (the highest if several), or null when none is tagged (a custom rules file). */
export function severityOfTags(tags: readonly string[]): Severity | null {
  let best: Severity | null = null;
  for (const tag of tags) {
    const m = /^severity:(\w+)$/i.exec(tag.trim());
    const level = m ? LEVELS[m[1]!.toLowerCase()] : undefined;
    if (level && (best === null || ORDER.indexOf(level) < ORDER.indexOf(best))) best = level;
  }
  return best;
}
