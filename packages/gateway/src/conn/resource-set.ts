/**
 * A resource set as sent to clients: `{"models":{…},"collections":{…},"errors":{…}}`,
 * with empty groups left out. Values are kept as encoded JSON so that a cached
 * resource's encoding is reused as is.
 */
import { encodeErrorObject, type ErrorObject } from "@resgate-ts/protocol";

export class ResourceSet {
  private models: [string, string][] | undefined;
  private collections: [string, string][] | undefined;
  private errors: [string, ErrorObject][] | undefined;

  addModel(rid: string, json: string): void {
    (this.models ??= []).push([rid, json]);
  }

  addCollection(rid: string, json: string): void {
    (this.collections ??= []).push([rid, json]);
  }

  addError(rid: string, err: ErrorObject): void {
    (this.errors ??= []).push([rid, err]);
  }

  get isEmpty(): boolean {
    return !this.models && !this.collections && !this.errors;
  }

  /** The members of the set without the enclosing braces ("" when empty). */
  members(): string {
    const parts: string[] = [];
    if (this.models) parts.push(`"models":${group(this.models)}`);
    if (this.collections) parts.push(`"collections":${group(this.collections)}`);
    if (this.errors) {
      parts.push(`"errors":${group(this.errors.map(([rid, e]) => [rid, encodeErrorObject(e)]))}`);
    }
    return parts.join(",");
  }

  toJSON(): string {
    return "{" + this.members() + "}";
  }

  /** `{<prefix>,<members>}`: an event's own fields followed by the set's. */
  withFields(fields: string): string {
    const m = this.members();
    return m === "" ? `{${fields}}` : `{${fields},${m}}`;
  }
}

function group(entries: [string, string][]): string {
  return "{" + entries.map(([k, v]) => JSON.stringify(k) + ":" + v).join(",") + "}";
}
