/**
 * Subject syntax helpers. Subjects are dot-separated tokens; in subscriptions a token
 * that is exactly `*` matches any one token and a last token that is exactly `>`
 * matches one or more tokens. Rules follow nats-server's IsValidSubject.
 */

const DOT = 0x2e;

function isWhitespace(code: number): boolean {
  // nats-server rejects these inside tokens (\t \n \f \r and space).
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0c || code === 0x0d;
}

function checkSubject(subject: string, allowWildcards: boolean): boolean {
  const len = subject.length;
  if (len === 0) return false;
  let tokenStart = 0;
  let sawFwc = false;
  for (let i = 0; i <= len; i++) {
    const code = i === len ? DOT : subject.charCodeAt(i);
    if (code === DOT) {
      const tokenLen = i - tokenStart;
      if (tokenLen === 0 || sawFwc) return false;
      if (tokenLen === 1) {
        const c = subject.charCodeAt(tokenStart);
        if (c === 0x3e /* > */) {
          if (!allowWildcards) return false;
          sawFwc = true;
        } else if (c === 0x2a /* * */ && !allowWildcards) {
          return false;
        }
      }
      tokenStart = i + 1;
    } else if (isWhitespace(code)) {
      return false;
    }
  }
  return true;
}

/**
 * True if `subject` is usable in a subscription: non-empty tokens, no whitespace,
 * `>` only as the last token. Wildcards (`*`, `>`) are allowed.
 */
export function isValidSubject(subject: string): boolean {
  return checkSubject(subject, true);
}

/** True if `subject` is a valid subject without wildcard tokens (what a publish should use). */
export function isValidLiteralSubject(subject: string): boolean {
  return checkSubject(subject, false);
}

/** True if `subject` has a `*` or `>` wildcard token. */
export function hasWildcard(subject: string): boolean {
  const len = subject.length;
  for (let i = 0; i < len; i++) {
    const c = subject.charCodeAt(i);
    if (
      (c === 0x2a || c === 0x3e) &&
      (i === 0 || subject.charCodeAt(i - 1) === DOT) &&
      (i + 1 === len || subject.charCodeAt(i + 1) === DOT)
    ) {
      return true;
    }
  }
  return false;
}

/**
 * True if the published `subject` is matched by the subscription `pattern`, with the
 * same semantics as the broker's subscription index: `*` matches any one token
 * (including a literal `*`), a last `>` matches one or more tokens, and a subject
 * with an empty token matches nothing.
 */
export function subjectMatches(subject: string, pattern: string): boolean {
  const s = subject.split(".");
  const p = pattern.split(".");
  for (const t of s) if (t === "") return false;
  for (let i = 0; i < p.length; i++) {
    const pt = p[i];
    if (pt === ">" && i === p.length - 1) return s.length > i;
    const st = s[i];
    if (st === undefined) return false;
    if (pt !== "*" && pt !== st) return false;
  }
  return s.length === p.length;
}
