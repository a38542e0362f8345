/**
 * What an example is made of: its services and the web page that uses them. The
 * runner (lib/runner.ts) starts the services next to an in-process gateway and serves
 * the page.
 */
import type { Service, ServiceOptions } from "@resgate-ts/service";

/** An answer of the page server. */
export interface PageResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** A GET route of the page server, given the request URL. */
export type PageRoute = (url: URL) => PageResponse;

export interface Example {
  /** The name given to `npm run example -- <name>`, and the example's folder. */
  readonly name: string;
  /** One line on what the example shows. */
  readonly title: string;
  /** Creates the example's services (not yet serving). */
  services(options: ServiceOptions): Service[];
  /** Routes of the page server besides `/`, `/config.js` and `/resclient.min.js`. */
  readonly routes?: Readonly<Record<string, PageRoute>>;
}

/** A JSON answer of the page server. */
export function jsonResponse(value: unknown, status = 200): PageResponse {
  return { status, contentType: "application/json", body: JSON.stringify(value) };
}
