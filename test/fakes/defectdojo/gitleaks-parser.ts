// DefectDojo's Gitleaks parser (CONTRACT.md §7): per-element v8/legacy detection, the
// in-report merge rules and the exact description layout, because the description feeds
// the hash_code. Errors come in two classes, matching how DefectDojo reports them.

import type { Severity } from './types.ts';
import { pyStr } from './hash-code.ts';

/** A ValueError in the parser: DefectDojo answers 400 `{"message": "['...']"}`. */
export class ReportFormatError extends Error {}

/** Any other Python exception (KeyError, TypeError, ...): DefectDojo answers 500. */
export class ReportCrashError extends Error {}

export interface ParsedFinding {
  /** Title before title-casing; the hash uses this one. */
  title: string;
  severity: Severity;
  description: string;
  file_path: string | null;
  line: number | null;
  cwe: number;
  nb_occurences: number | null;
  tags: string[];
  static_finding: boolean;
  dynamic_finding: boolean;
}

type Issue = Record<string, unknown>;

/** Python truthiness, which decides the format and which description lines appear. */
function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

function decodeJson(bytes: Uint8Array): unknown {
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
  if (text.startsWith('\uFEFF')) {
    throw new ReportFormatError('Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)');
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ReportFormatError(pythonJsonError(text, e));
  }
}

// Python's json messages carry a position; JSON.parse does not tell us one, so this finds
// the first place a value cannot start (the common cases: empty file, HTML error page).
function pythonJsonError(text: string, e: unknown): string {
  const pos = text.search(/[^ \t\n\r]/);
  const at = pos === -1 ? text.length : pos;
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  const col = at - (before.lastIndexOf('\n') + 1) + 1;
  // What Python's scanner accepts as the start of a value: a bracket, a string, a number or a whole literal
  // ("not json" starts with n but is not `null`, so it is "Expecting value" at char 0, like the real server says).
  const starts = /^([[{"0-9]|-[0-9I]|null|true|false|NaN|Infinity)/.test(text.slice(at));
  if (!starts) return `Expecting value: line ${line} column ${col} (char ${at})`;
  return `Invalid JSON: ${(e as Error).message}`;
}

export function parseGitleaksReport(bytes: Uint8Array): ParsedFinding[] {
  const issues = decodeJson(bytes);
  if (issues === null) return [];
  if (!Array.isArray(issues)) {
    throw new ReportCrashError(`'${typeof issues}' object is not iterable as a list of leaks`);
  }
  const dupes = new Map<string, ParsedFinding>();
  for (const issue of issues) {
    if (issue === null || typeof issue !== 'object' || Array.isArray(issue)) {
      throw new ReportCrashError("AttributeError: object has no attribute 'get'");
    }
    const obj = issue as Issue;
    if (truthy(obj.rule)) legacyFinding(obj, dupes);
    else if (truthy(obj.Description)) currentFinding(obj, dupes);
    else throw new ReportFormatError('Format is not recognized for Gitleaks');
  }
  return [...dupes.values()];
}

function requireString(issue: Issue, key: string): string {
  if (!(key in issue)) throw new ReportCrashError(`KeyError: '${key}'`);
  const v = issue[key];
  if (typeof v !== 'string') throw new ReportCrashError(`TypeError: '${key}' is not a str`);
  return v;
}

/** Parser tags get spaces, commas and quotes replaced, and are stored lower-case. */
export function cleanParserTag(tag: string): string {
  return tag.replace(/[ ,'"]/g, '_').toLowerCase();
}

function legacyDescription(issue: Issue, reason: string, filePath: string): { text: string; line: number | null } {
  let d = `**Commit:** ${requireString(issue, 'commitMessage').replace(/\n+$/, '')}\n`;
  d += `**Commit Hash:** ${requireString(issue, 'commit')}\n`;
  d += `**Commit Date:** ${requireString(issue, 'date')}\n`;
  d += `**Author:** ${requireString(issue, 'author')} <${requireString(issue, 'email')}>\n`;
  d += `**Reason:** ${reason}\n**Path:** ${filePath}\n`;
  let line: number | null = null;
  if ('lineNumber' in issue) {
    if (typeof issue.lineNumber !== 'number') throw new ReportCrashError('TypeError: %i format: a real number is required');
    line = Math.trunc(issue.lineNumber);
    d += `**Line:** ${line}\n`;
  }
  if ('operation' in issue) d += `**Operation:** ${requireString(issue, 'operation')}\n`;
  if ('leakURL' in issue) {
    const url = requireString(issue, 'leakURL');
    d += `**Leak URL:** [${url}](${url})\n`;
  }
  // replaceAll, like str.replace, also handles an empty offender the same way.
  const found = requireString(issue, 'line').replaceAll(requireString(issue, 'offender'), 'REDACTED');
  d += `\n**String Found:**\n\n\`\`\`\n${found}\n\`\`\``;
  return { text: d, line };
}

function legacyFinding(issue: Issue, dupes: Map<string, ParsedFinding>): void {
  const filePath = requireString(issue, 'file');
  const reason = requireString(issue, 'rule');
  const { text, line } = legacyDescription(issue, reason, filePath);
  const critical = ['Github', 'AWS', 'Heroku'].some((w) => reason.includes(w));
  const rawTags = 'tags' in issue ? issue.tags : '';
  if (typeof rawTags !== 'string') throw new ReportCrashError("AttributeError: 'tags' has no attribute 'split'");
  // Python concatenates without a separator; keep that so collisions match DefectDojo's.
  const key = requireString(issue, 'offender') + filePath + pyStr(line);
  if (dupes.has(key)) return;
  dupes.set(key, {
    title: `Hard Coded ${reason}`,
    severity: critical ? 'Critical' : 'High',
    description: text,
    file_path: filePath,
    line,
    cwe: 798,
    nb_occurences: null,
    tags: rawTags.split(', ').filter((t) => t !== ''),
    static_finding: true,
    dynamic_finding: false,
  });
}

function toLine(raw: unknown): number {
  if (!truthy(raw)) return 0;
  if (typeof raw === 'number') return Math.trunc(raw);
  if (typeof raw === 'string' && /^\s*[+-]?\d+\s*$/.test(raw)) return Number.parseInt(raw, 10);
  if (typeof raw === 'string') throw new ReportFormatError(`invalid literal for int() with base 10: '${raw}'`);
  throw new ReportCrashError('TypeError: int() argument must be a string or a number');
}

function currentDescription(issue: Issue): string {
  let d = '';
  if (truthy(issue.Secret)) d += `**Secret:** ${pyStr(issue.Secret)}\n`;
  if (truthy(issue.Match)) d += `**Match:** ${pyStr(issue.Match)}\n`;
  const message = issue.Message;
  if (truthy(message)) {
    if (typeof message !== 'string') throw new ReportCrashError("AttributeError: 'Message' has no attribute 'split'");
    d += message.includes('\n')
      ? `**Commit message:**\n\`\`\`\n${message.replaceAll('```', '\\`\\`\\`')}\n\`\`\`\n`
      : `**Commit message:** ${message}\n`;
  }
  if (truthy(issue.Commit)) d += `**Commit hash:** ${pyStr(issue.Commit)}\n`;
  if (truthy(issue.Date)) d += `**Commit date:** ${pyStr(issue.Date)}\n`;
  if (truthy(issue.RuleID)) d += `**Rule Id:** ${pyStr(issue.RuleID)}`;
  if (d === '') throw new ReportCrashError('IndexError: string index out of range');
  return d.endsWith('\n') ? d.slice(0, -1) : d;
}

function currentFinding(issue: Issue, dupes: Map<string, ParsedFinding>): void {
  const line = toLine(issue.StartLine);
  const filePath = issue.File === undefined || issue.File === null ? null : pyStr(issue.File);
  const title = `Hard coded ${pyStr(issue.Description)} found in ${pyStr(filePath)}`;
  const description = currentDescription(issue);
  if (typeof issue.Secret !== 'string') {
    throw new ReportCrashError('TypeError: can only concatenate str (not "NoneType") to str');
  }
  const key = title + issue.Secret + pyStr(line);
  const existing = dupes.get(key);
  if (existing) {
    existing.description += `\n\n***\n\n${description}`;
    existing.nb_occurences = (existing.nb_occurences ?? 1) + 1;
    return;
  }
  const tags = issue.Tags;
  dupes.set(key, {
    title,
    severity: 'High',
    description,
    file_path: filePath,
    line,
    cwe: 798,
    nb_occurences: 1,
    tags: truthy(tags) ? (Array.isArray(tags) ? tags.map(pyStr) : [pyStr(tags)]) : [],
    static_finding: true,
    dynamic_finding: false,
  });
}
