// hash_code for "Gitleaks Scan" (CONTRACT.md §8.2): the legacy field set
// title + cwe + line + file_path + description (+ service), case-folded, SHA-256.

// Full case folding differs from toLowerCase() in a few places; commit messages may
// contain any of them, and a wrong fold would silently change the hash.
const FOLD_SPECIAL: Record<string, string> = {
  '\u00DF': 'ss',
  '\u03C2': '\u03C3',
  '\u017F': 's',
  '\u0149': '\u02BCn',
  '\u01F0': 'j\u030C',
  '\u0390': '\u03B9\u0308\u0301',
  '\u03B0': '\u03C5\u0308\u0301',
  '\u0587': '\u0565\u0582',
  '\u1E96': 'h\u0331',
  '\u1E97': 't\u0308',
  '\u1E98': 'w\u030A',
  '\u1E99': 'y\u030A',
  '\u1E9A': 'a\u02BE',
  '\u1E9B': '\u1E61',
  '\u03D0': '\u03B2',
  '\u03D1': '\u03B8',
  '\u03D5': '\u03C6',
  '\u03D6': '\u03C0',
  '\u03F0': '\u03BA',
  '\u03F1': '\u03C1',
  '\u03F5': '\u03B5',
  '\u0345': '\u03B9',
  '\u1FBE': '\u03B9',
  '\uFB00': 'ff',
  '\uFB01': 'fi',
  '\uFB02': 'fl',
  '\uFB03': 'ffi',
  '\uFB04': 'ffl',
  '\uFB05': 'st',
  '\uFB06': 'st',
  '\uFB13': '\u0574\u0576',
  '\uFB14': '\u0574\u0565',
  '\uFB15': '\u0574\u056B',
  '\uFB16': '\u057E\u0576',
  '\uFB17': '\u0574\u056D',
};

const FOLD_PATTERN = new RegExp(`[${Object.keys(FOLD_SPECIAL).join('')}\\u{13F8}-\\u{13FD}\\u{AB70}-\\u{ABBF}]`, 'gu');

/** Python's str.casefold() for the characters that can plausibly occur in reports. */
export function casefold(s: string): string {
  return s.toLowerCase().replace(FOLD_PATTERN, (ch) => {
    const special = FOLD_SPECIAL[ch];
    if (special !== undefined) return special;
    const cp = ch.codePointAt(0)!;
    // Cherokee folds to the upper-case letters (the only script that folds upwards).
    if (cp >= 0x13f8 && cp <= 0x13fd) return String.fromCodePoint(cp - 8);
    return String.fromCodePoint(cp - 0xab70 + 0x13a0);
  });
}

/** Python str() of the values that go into the hash (None for null). */
export function pyStr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  return String(v);
}

export interface HashInput {
  title: string;
  cwe: number;
  line: number | null;
  file_path: string | null;
  description: string;
  severity?: string;
  service?: string | null;
}

/** HASHCODE_ALLOWED_FIELDS of 2.50.4; a configured field outside it makes DefectDojo fall back to the legacy hash. */
const ALLOWED_FIELDS = new Set(['title', 'cwe', 'vulnerability_ids', 'line', 'file_path', 'payload', 'component_name', 'component_version', 'description', 'endpoints', 'unique_id_from_tool', 'severity', 'vuln_id_from_tool', 'mitigation']);

/** One configured field as Finding.compute_hash_code() appends it: str() of the attribute ('None' when unset). */
function configuredField(f: HashInput, field: string): string {
  if (field === 'endpoints' || field === 'vulnerability_ids') return '';
  const known: Record<string, unknown> = { title: f.title, cwe: f.cwe, line: f.line, file_path: f.file_path, description: f.description, severity: f.severity };
  return pyStr(known[field] ?? null);
}

/**
 * `fields`: DD_HASHCODE_FIELDS_PER_SCANNER's entry for "Gitleaks Scan", or null (no entry: the legacy hash).
 * (cwe 0 would be allowed: HASHCODE_ALLOWS_NULL_CWE defaults to true for scanners it does not list.)
 */
export function computeHashCode(f: HashInput, fields: readonly string[] | null = null): string {
  const configured = fields && fields.length > 0 && fields.every((x) => ALLOWED_FIELDS.has(x));
  let text = configured
    ? fields.map((x) => configuredField(f, x)).join('')
    : f.title + pyStr(f.cwe) + pyStr(f.line) + pyStr(f.file_path) + f.description;
  if (f.service) text += f.service;
  // bytes.strip() after encoding removes ASCII whitespace only.
  const folded = casefold(text).replace(/^[ \t\n\r\v\f]+|[ \t\n\r\v\f]+$/g, '');
  return new Bun.CryptoHasher('sha256').update(folded).digest('hex');
}
