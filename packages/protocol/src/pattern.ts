/**
 * Resource patterns, as used by `system.reset`: dot-separated parts where `*` matches
 * one whole part and a final `>` matches one or more parts.
 * @see https://github.com/resgateio/resgate/blob/master/docs/res-service-protocol.md#system-reset-event
 */
export class ResourcePattern {
  private constructor(
    readonly pattern: string,
    private readonly parts: readonly string[],
    private readonly hasWild: boolean,
  ) {}

  /** Parses a pattern; returns undefined when it is not valid (the pattern is then skipped). */
  static parse(p: string): ResourcePattern | undefined {
    if (p.length === 0 || p.endsWith(".")) return undefined;
    const parts = p.split(".");
    let hasWild = false;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] ?? "";
      if (part.length === 0) return undefined;
      if (part === ">") {
        if (i !== parts.length - 1) return undefined;
        hasWild = true;
        continue;
      }
      if (part === "*") {
        hasWild = true;
        continue;
      }
      for (let j = 0; j < part.length; j++) {
        const c = part.charCodeAt(j);
        if (c < 33 || c > 126 || c === 63 || c === 42 || c === 62) return undefined;
      }
    }
    return new ResourcePattern(p, parts, hasWild);
  }

  /** True when the resource name matches the pattern. */
  matches(name: string): boolean {
    if (!this.hasWild) return name === this.pattern;
    if (name === "") return false;
    const parts = name.split(".");
    const pp = this.parts;
    for (let i = 0; i < pp.length; i++) {
      const p = pp[i];
      if (p === ">") return parts.length > i;
      if (i >= parts.length) return false;
      if (p !== "*" && p !== parts[i]) return false;
    }
    return parts.length === pp.length;
  }
}
