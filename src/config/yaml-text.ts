/**
 * Reads YAML text for the configuration: every syntax error with its line and column, the offending line and a
 * caret under the column, so the operator sees where to look. Duplicate keys are allowed (the last one wins, as
 * seed §2.2 documents).
 */
import { parseDocument } from 'yaml';
import { ConfigError } from '../core/errors.ts';

export function parseYamlText(text: string, fileName: string): unknown {
  const doc = parseDocument(text, { uniqueKeys: false });
  if (doc.errors.length === 0) return doc.toJS();
  const lines = text.split(/\r?\n/);
  const parts = doc.errors.map((e) => {
    const at = e.linePos?.[0];
    const what = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    if (!at) return `${fileName}: not valid YAML: ${what}`;
    // The line before too: errors found at the start of a line (or at the end of the file) are about the one above.
    const width = String(at.line).length;
    const show = (n: number) => `    ${String(n).padStart(width)} | ${(lines[n - 1] ?? '').replace(/\t/g, '→')}`;
    const context = at.line > 1 ? [show(at.line - 1), show(at.line)] : [show(at.line)];
    return [`${fileName}:${at.line}:${at.col}: not valid YAML: ${what}`, ...context, `    ${' '.repeat(width)} | ${' '.repeat(Math.max(0, at.col - 1))}^`].join('\n');
  });
  throw new ConfigError(parts.join('\n'));
}
