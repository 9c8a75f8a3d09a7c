/**
 * Cloudflare's v4 response envelope and its errors (https://developers.cloudflare.com/fundamentals/api/how-to/make-api-calls/):
 * every answer is `{ success, errors: [{ code, message }], messages, result }`. wrangler reads `errors[0].code`
 * (cli.js `APIError`), so each refusal carries the code Cloudflare answers with.
 */

export interface CloudflareMessage {
  readonly code: number;
  readonly message: string;
  readonly documentation_url?: string;
}

export interface Envelope<T> {
  readonly success: boolean;
  readonly errors: readonly CloudflareMessage[];
  readonly messages: readonly CloudflareMessage[];
  readonly result: T | null;
  readonly result_info?: ResultInfo;
}

export interface ResultInfo {
  readonly page: number;
  readonly per_page: number;
  readonly count: number;
  readonly total_count: number;
  readonly total_pages: number;
}

/** A refusal with Cloudflare's error code and HTTP status. Thrown by handlers, answered by the one error boundary. */
export class CloudflareApiError extends Error {
  readonly status: 400 | 403 | 404 | 405 | 409 | 413 | 500;
  readonly code: number;
  readonly documentationUrl: string | undefined;
  constructor(
    status: 400 | 403 | 404 | 405 | 409 | 413 | 500,
    code: number,
    message: string,
    documentationUrl?: string,
  ) {
    super(message);
    this.name = "CloudflareApiError";
    this.status = status;
    this.code = code;
    this.documentationUrl = documentationUrl;
  }
}

export const success = <T>(result: T, resultInfo?: ResultInfo): Envelope<T> => ({
  success: true,
  errors: [],
  messages: [],
  result,
  ...(resultInfo ? { result_info: resultInfo } : {}),
});

export const failure = (error: CloudflareApiError): Envelope<never> => ({
  success: false,
  errors: [
    {
      code: error.code,
      message: error.message,
      ...(error.documentationUrl ? { documentation_url: error.documentationUrl } : {}),
    },
  ],
  messages: [],
  result: null,
});

/** Cloudflare's page-number paging (`?page=&per_page=`), with `result_info` as the v4 API reports it. */
export function paginate<T>(
  items: readonly T[],
  query: { page?: string | undefined; per_page?: string | undefined },
  defaultPerPage: number,
): { items: T[]; info: ResultInfo } {
  const perPage = positive(query.per_page) ?? defaultPerPage;
  const page = positive(query.page) ?? 1;
  const start = (page - 1) * perPage;
  return {
    items: items.slice(start, start + perPage),
    info: {
      page,
      per_page: perPage,
      count: Math.max(0, Math.min(perPage, items.length - start)),
      total_count: items.length,
      total_pages: Math.max(1, Math.ceil(items.length / perPage)),
    },
  };
}

function positive(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new CloudflareApiError(400, 10001, `Paging parameters must be positive integers, got "${value}".`);
  return n;
}
