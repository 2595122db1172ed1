// A port of the python-titlecase rules that Finding.save() applies, so that stored titles
// match the real API ("Hard coded AWS found in /conf/aws.tf" → "Hard Coded AWS Found in
// /conf/aws.tf"). Only the default options are ported; no callback, no word list.

const SMALL = String.raw`a|an|and|as|at|but|by|en|for|if|in|of|on|or|the|to|v\.?|via|vs\.?`;
const PUNCT = String.raw`!"“#$%&'‘()*+,\-–‒—―./:;?@[\\\]_` + '`{|}~';

const SMALL_WORDS = new RegExp(`^(${SMALL})$`, 'iu');
const INLINE_PERIOD = /\p{L}[.]\p{L}/iu;
const UC_ELSEWHERE = new RegExp(`^[${PUNCT}]*?\\p{L}+\\p{Lu}+?`, 'u');
const CAPFIRST = new RegExp(`^[${PUNCT}]*?(\\p{L})`, 'u');
const SMALL_FIRST = new RegExp(`^([${PUNCT}]*)(${SMALL})\\b`, 'iu');
const SMALL_LAST = new RegExp(`\\b(${SMALL})[${PUNCT}]?$`, 'iu');
const SUBPHRASE = new RegExp(`([:.;?!\\-–‒—―][ ])(${SMALL})`, 'gu');
const APOS_SECOND = /^[dol]['‘]\p{L}+(?:['s]{2})?$/iu;
const UC_INITIALS = /^(?:\p{Lu}\.|\p{Lu}\.\p{Lu})+$/u;
const MAC_MC = /^([Mm]c|MC)(\w.+)/u;
const ALL_CONSONANTS = /^[bcdfghjklmnpqrstvwxz]+$/i;

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
}

function titlecaseWord(word: string, allCaps: boolean, smallFirstLast: boolean): string {
  if (allCaps && UC_INITIALS.test(word)) return word;
  if (APOS_SECOND.test(word)) {
    const first = 'aeiouAEIOU'.includes(word[0] ?? '') ? word[0]!.toUpperCase() : word[0]!.toLowerCase();
    return first + word[1] + word[2]!.toUpperCase() + word.slice(3);
  }
  const mac = MAC_MC.exec(word);
  if (mac) return capitalize(mac[1]!) + titlecase(mac[2]!, smallFirstLast);
  if (INLINE_PERIOD.test(word) || (!allCaps && UC_ELSEWHERE.test(word))) return word;
  if (SMALL_WORDS.test(word)) return word.toLowerCase();
  if (word.includes('/') && !word.includes('//')) {
    return word.split('/').map((part) => titlecase(part, false)).join('/');
  }
  if (word.includes('-')) {
    return word.split('-').map((part) => titlecase(part, smallFirstLast)).join('-');
  }
  const w = allCaps ? word.toLowerCase() : word;
  if (ALL_CONSONANTS.test(w) && w.length > 2) return w.toUpperCase();
  return w.replace(CAPFIRST, (m) => m.toUpperCase());
}

export function titlecase(text: string, smallFirstLast = true): string {
  return text
    .split(/[\r\n]+/)
    .map((line) => {
      const allCaps = line.toUpperCase() === line;
      const words = line.split(/[\t ]/).map((w) => titlecaseWord(w, allCaps, smallFirstLast));
      if (smallFirstLast && words.length > 0) {
        words[0] = words[0]!.replace(SMALL_FIRST, (_m, p: string, s: string) => p + capitalize(s));
        const last = words.length - 1;
        words[last] = words[last]!.replace(SMALL_LAST, (m) => capitalize(m));
      }
      return words.join(' ').replace(SUBPHRASE, (_m, p: string, s: string) => p + capitalize(s));
    })
    .join('\n');
}
