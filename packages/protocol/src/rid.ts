/**
 * Resource IDs: `name[?query]`, where the name is dot-separated parts of printable
 * ASCII without `*`, `>` or `?`.
 * @see https://github.com/resgateio/resgate/blob/master/docs/res-protocol.md#resource-ids
 */

/** True when `rid` is a valid resource ID; a query part is only accepted with `allowQuery`. */
export function isValidRid(rid: string, allowQuery: boolean): boolean {
  let start = true;
  for (let i = 0; i < rid.length; i++) {
    const c = rid.charCodeAt(i);
    if (c === 63 /* ? */) return allowQuery && !start;
    if (c < 33 || c > 126 || c === 42 /* * */ || c === 62 /* > */) return false;
    if (c === 46 /* . */) {
      if (start) return false;
      start = true;
    } else {
      start = false;
    }
  }
  return !start;
}

/** True when `part` is a valid single part of a resource ID (such as a method name). */
export function isValidRidPart(part: string): boolean {
  if (part.length === 0) return false;
  for (let i = 0; i < part.length; i++) {
    const c = part.charCodeAt(i);
    if (c < 33 || c > 126 || c === 46 || c === 42 || c === 62 || c === 63) return false;
  }
  return true;
}

/** Splits a resource ID into its name and query (the query is "" when there is none). */
export function splitRid(rid: string): { name: string; query: string } {
  const i = rid.indexOf("?");
  return i === -1 ? { name: rid, query: "" } : { name: rid.slice(0, i), query: rid.slice(i + 1) };
}

/** The placeholder that a gateway replaces with the connection ID. */
export const CID_PLACEHOLDER = "{cid}";

/** Replaces every `{cid}` placeholder in a resource ID with the connection ID. */
export function expandCid(rid: string, cid: string): string {
  return rid.includes(CID_PLACEHOLDER) ? rid.split(CID_PLACEHOLDER).join(cid) : rid;
}
