import { ErrorCode, IpamError } from '../errors.js';

/**
 * Shell-glob matching of pool names with the semantics of Go's `filepath.Match` on Unix, which Spiderpool
 * uses for wildcard pool names (SPP-6):
 *
 * - `*` any run of characters other than `/`; `?` one character other than `/`;
 * - `[abc]`, `[a-z]`, negated `[^a-z]` (and the shell's `[!a-z]`, which Go does not know); inside a class
 *   `-` and `]` must be escaped and a class needs at least one member;
 * - `\x` is the literal `x`; everything else matches itself.
 *
 * A malformed pattern is always an error (Go only notices some of them when the match gets that far), and so
 * is a reversed class range such as `[z-a]` (Go accepts it and it silently matches nothing).
 */

type Token =
  | { readonly t: 'lit'; readonly c: string }
  | { readonly t: 'star' }
  | { readonly t: 'one' }
  | {
      readonly t: 'class';
      readonly negated: boolean;
      readonly ranges: ReadonlyArray<readonly [string, string]>;
    };

function bad(pattern: string, why: string): IpamError {
  return new IpamError(ErrorCode.InvalidInput, `invalid name pattern ${JSON.stringify(pattern)}: ${why}`, {
    value: pattern,
  });
}

/** Characters are Unicode code points, as Go's runes are. */
function compile(pattern: string): Token[] {
  const cs = Array.from(pattern);
  const tokens: Token[] = [];
  let i = 0;
  const escaped = (where: string): string => {
    const c = cs[i];
    if (c === undefined) throw bad(pattern, `unterminated ${where}`);
    if (c === '-' || c === ']') throw bad(pattern, `"${c}" inside [...] must be escaped as "\\${c}"`);
    i++;
    if (c !== '\\') return c;
    const next = cs[i++];
    if (next === undefined) throw bad(pattern, 'it ends with a lone "\\"');
    return next;
  };
  while (i < cs.length) {
    const c = cs[i++]!;
    if (c === '*') {
      if (tokens.at(-1)?.t !== 'star') tokens.push({ t: 'star' });
    } else if (c === '?') {
      tokens.push({ t: 'one' });
    } else if (c === '\\') {
      const next = cs[i++];
      if (next === undefined) throw bad(pattern, 'it ends with a lone "\\"');
      tokens.push({ t: 'lit', c: next });
    } else if (c === '[') {
      const negated = cs[i] === '^' || cs[i] === '!';
      if (negated) i++;
      const ranges: Array<readonly [string, string]> = [];
      for (;;) {
        if (i >= cs.length) throw bad(pattern, '"[" is never closed by "]"');
        if (cs[i] === ']' && ranges.length > 0) {
          i++;
          break;
        }
        if (cs[i] === ']') throw bad(pattern, 'a character class needs at least one member');
        const lo = escaped('character class');
        let hi = lo;
        if (cs[i] === '-') {
          i++;
          hi = escaped('character range');
          if ((hi.codePointAt(0) ?? 0) < (lo.codePointAt(0) ?? 0)) {
            throw bad(pattern, `the range ${lo}-${hi} is reversed; write ${hi}-${lo}`);
          }
        }
        ranges.push([lo, hi]);
      }
      tokens.push({ t: 'class', negated, ranges });
    } else {
      tokens.push({ t: 'lit', c });
    }
  }
  return tokens;
}

function inClass(token: Extract<Token, { t: 'class' }>, c: string): boolean {
  const cp = c.codePointAt(0)!;
  const hit = token.ranges.some(([lo, hi]) => lo.codePointAt(0)! <= cp && cp <= hi.codePointAt(0)!);
  return hit !== token.negated;
}

/** Throws `InvalidInput` when the pattern is malformed; answers nothing otherwise. */
export function validateGlob(pattern: string): void {
  compile(pattern);
}

/** True when the text uses any glob syntax (`*`, `?`, `[`, `\`); otherwise it is a plain name. */
export function isGlobPattern(text: string): boolean {
  return /[*?[\\]/.test(text);
}

/**
 * Does `name` match `pattern` as a whole? Throws `InvalidInput` for a malformed pattern. Runs a set of
 * reachable positions through the pattern: O(pattern × name), no exponential backtracking.
 */
export function globMatch(pattern: string, name: string): boolean {
  return matchTokens(compile(pattern), name);
}

function matchTokens(tokens: readonly Token[], name: string): boolean {
  const text = Array.from(name);
  let reach = new Array<boolean>(text.length + 1).fill(false);
  reach[0] = true;
  for (const token of tokens) {
    const next = new Array<boolean>(text.length + 1).fill(false);
    let any = false;
    for (let p = 0; p <= text.length; p++) {
      if (!reach[p]) continue;
      if (token.t === 'star') {
        // From p the star can stop at p or swallow any run of non-"/" characters after it.
        let q = p;
        next[q] = true;
        while (q < text.length && text[q] !== '/') next[++q] = true;
        any = true;
        continue;
      }
      const c = text[p];
      if (c === undefined) continue;
      const ok = token.t === 'lit' ? c === token.c : token.t === 'one' ? c !== '/' : inClass(token, c);
      if (ok) {
        next[p + 1] = true;
        any = true;
      }
    }
    if (!any) return false;
    reach = next;
  }
  return reach[text.length] === true;
}

/**
 * Turns the names a user wrote into pool names, keeping the user's order (Spiderpool sorts unstably; we
 * don't): a plain name stays where it is, whether or not such a pool exists (the caller reports a missing
 * one); a pattern is replaced by the existing names it matches, sorted; a name produced twice is kept at
 * its first place only. Throws `InvalidInput` for a malformed pattern.
 */
export function expandPoolNames(patterns: readonly string[], existingNames: Iterable<string>): string[] {
  const existing = [...new Set(existingNames)].sort();
  const out: string[] = [];
  const seen = new Set<string>();
  const push = (name: string): void => {
    if (!seen.has(name)) {
      seen.add(name);
      out.push(name);
    }
  };
  for (const pattern of patterns) {
    if (!isGlobPattern(pattern)) {
      push(pattern);
      continue;
    }
    const tokens = compile(pattern);
    for (const name of existing) if (matchTokens(tokens, name)) push(name);
  }
  return out;
}
