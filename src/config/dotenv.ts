/**
 * Reads `.env.dev` and `.env.override` the way seed §1.3 describes them. Besides plain `KEY=value` lines it accepts
 * the seed's own multi-line JSON values (GITLAB_CONFIGS=[ … ] spread over lines with `#` comments), because
 * operators copy that excerpt verbatim.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type EnvMap = Record<string, string>;

export function parseDotenv(text: string, fileName = '.env'): EnvMap {
  const out: EnvMap = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) throw new Error(`${fileName}:${i + 1}: expected KEY=value`);
    const key = m[1]!;
    let value = m[2]!;
    if (value.startsWith('"') || value.startsWith("'")) {
      out[key] = readQuoted(value, fileName, i + 1);
      continue;
    }
    if (value.startsWith('[') || value.startsWith('{')) {
      const startLine = i + 1;
      const collected = [stripComment(value)];
      while (!balanced(collected.join('\n')) && i + 1 < lines.length) {
        i++;
        collected.push(stripComment(lines[i]!));
      }
      value = collected.join('\n').trim();
      if (!balanced(value)) throw new Error(`${fileName}:${startLine}: unterminated value of ${key} (never closed before the end of the file)`);
      out[key] = value;
      continue;
    }
    out[key] = stripComment(value).trim();
  }
  return out;
}

function readQuoted(value: string, fileName: string, lineNo: number): string {
  const q = value[0]!;
  // The first closing quote ends the value: a comment after it may contain quotes too (`# DefectDojo's API`).
  let end = -1;
  for (let i = 1; i < value.length && end < 0; i++) {
    if (q === '"' && value[i] === '\\') i++;
    else if (value[i] === q) end = i;
  }
  if (end <= 0) throw new Error(`${fileName}:${lineNo}: unterminated quoted value`);
  const inner = value.slice(1, end);
  return q === '"' ? inner.replace(/\\n/g, '\n').replace(/\\"/g, '"') : inner;
}

/** Removes a `# comment` that is outside of JSON strings. */
function stripComment(line: string): string {
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\' && inString) {
      i++;
      continue;
    }
    if (c === '"') inString = !inString;
    if (c === '#' && !inString && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i).trimEnd();
  }
  return line;
}

function balanced(text: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
  }
  return depth <= 0 && !inString;
}

/**
 * Effective environment: process env > `.env.override` > `.env.dev` (seed §1.3, §2.1). Files are read from `dir`;
 * missing files are fine (containers get their variables from compose's env_file instead).
 */
export function loadLayeredEnv(dir: string, processEnv: Record<string, string | undefined>): EnvMap {
  const merged: EnvMap = {};
  for (const name of ['.env.dev', '.env.override']) {
    const path = join(dir, name);
    if (existsSync(path)) Object.assign(merged, parseDotenv(readFileSync(path, 'utf8'), name));
  }
  for (const [k, v] of Object.entries(processEnv)) if (v !== undefined) merged[k] = v;
  return merged;
}
