/**
 * Format-preserving number replacement, pure (no DOM): which characters of a text spell one of
 * the numbers to replace, and what each becomes so the new number keeps the old one's grouping,
 * punctuation and form (with country code, with trunk prefix, or bare national number).
 */
import { TRUNK } from "./markets";

/** One edit: the character at `at` becomes `to` ("" or more than one character when lengths differ). */
export type Edit = [at: number, to: string];

const CANDIDATE = /[+\d][\d\s()./\-\u00a0\u2010-\u2015]*\d/g;

/** How many trailing digits click-to-reveal hides: `+7 727 123-45-67` shows as `+7 727 123-4…`. */
const MASKED = 3;

const digitsOf = (text: string): string => text.replace(/\D/g, "");

/**
 * The ways a number is written, longest first: country code + national number, trunk prefix +
 * national number, national number. `e164` is "+<digits>"; an unknown calling code gives one form.
 */
export function forms(e164: string): string[] {
  const all = digitsOf(e164);
  for (let n = 1; n <= 3; n++) {
    const cc = all.slice(0, n);
    const trunk = TRUNK[cc];
    if (trunk !== undefined) {
      const national = all.slice(n);
      return [all, trunk + national, national];
    }
  }
  return [all];
}

/**
 * Each occurrence in `text` of a number of `from` that is not already `to` written the same way:
 * the positions of its digits and the index of the form it is written in (see `forms`).
 */
function* occurrences(text: string, from: string[], to: string): Generator<[positions: number[], form: number]> {
  const target = forms(to);
  const sources = from.map(forms);
  for (const match of text.matchAll(CANDIDATE)) {
    const positions: number[] = [];
    for (let i = 0; i < match[0].length; i++) if (/\d/.test(match[0][i])) positions.push(match.index! + i);
    const digits = digitsOf(match[0]);
    let start = 0;
    while (start < digits.length) {
      let found = -1;
      let form = 0;
      let length = 0;
      for (const source of sources) {
        for (let k = 0; k < source.length; k++) {
          const at = digits.indexOf(source[k], start);
          // earliest occurrence wins; at the same place the longer (fuller) form wins
          if (at >= 0 && (found < 0 || at < found || (at === found && source[k].length > length))) {
            found = at;
            form = k;
            length = source[k].length;
          }
        }
      }
      if (found < 0) break;
      const next = target[Math.min(form, target.length - 1)];
      // already the new number (one number may start with the other): leave it, or it would grow forever
      if (!(next.length >= length && digits.startsWith(next, found))) yield [positions.slice(found, found + length), form];
      start = found + length;
    }
  }
}

/** Edits turning every occurrence in `text` of a number in `from` into the same form of `to`. */
export function edits(text: string, from: string[], to: string): Edit[] {
  const out: Edit[] = [];
  const target = forms(to);
  for (const [positions, form] of occurrences(text, from, to)) {
    const next = target[Math.min(form, target.length - 1)];
    // a longer new number puts its extra digits on the last position; a shorter one empties the tail
    positions.forEach((at, i) => out.push([at, i === positions.length - 1 ? next.slice(i) : (next[i] ?? "")]));
  }
  return out;
}

/** Edits masking the last digits of every occurrence in `text` of a number in `from` with one "…". */
export function mask(text: string, from: string[]): Edit[] {
  const out: Edit[] = [];
  for (const [positions] of occurrences(text, from, "")) {
    const first = positions[positions.length - MASKED];
    // the punctuation between the hidden digits goes too: "123-4…", not "123-4…-"
    for (let at = first; at <= positions[positions.length - 1]; at++) out.push([at, at === first ? "…" : ""]);
  }
  return out;
}

/** `text` with `edits` applied. */
export function apply(text: string, list: Edit[]): string {
  let result = text;
  for (let i = list.length - 1; i >= 0; i--) {
    const [at, to] = list[i];
    result = result.slice(0, at) + to + result.slice(at + 1);
  }
  return result;
}

/** Convenience: `text` with the numbers of `from` rewritten as `to`. */
export const rewrite = (text: string, from: string[], to: string): string => apply(text, edits(text, from, to));
