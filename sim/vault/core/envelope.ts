/**
 * Turning a LogicalResponse into Vault's HTTP answer: the JSON envelope
 * `{request_id, lease_id, renewable, lease_duration, data, wrap_info, warnings, auth}`, 204 for empty writes,
 * 404 `{"errors":[]}` for empty reads and empty lists, raw bodies for PEM endpoints.
 */
import type { LogicalResponse, Operation, WrapInfo } from "./logical.ts";

/** Vault marks every API answer as not cacheable. */
export const JSON_HEADERS = { "content-type": "application/json", "cache-control": "no-store" };

export function errorResponse(status: number, errors: string[]): Response {
  return new Response(`${JSON.stringify({ errors })}\n`, { status, headers: JSON_HEADERS });
}

export interface EnvelopeInput {
  requestId: string;
  operation: Operation;
  response: LogicalResponse | undefined;
  wrapInfo?: WrapInfo;
  warnings: string[];
}

export function envelope(input: EnvelopeInput): Response {
  const { response, operation } = input;
  if (response?.raw) {
    return new Response(response.raw.body, {
      status: response.raw.status ?? 200,
      headers: { "content-type": response.raw.contentType },
    });
  }
  const wrapInfo = input.wrapInfo ?? response?.wrapInfo;
  const warnings = [...(response?.warnings ?? []), ...input.warnings];
  const empty = !response || (!response.data && !response.auth && !wrapInfo);
  if (empty && warnings.length === 0) {
    return operation === "read" || operation === "list"
      ? errorResponse(404, [])
      : new Response(null, { status: 204 });
  }
  if (operation === "list" && !wrapInfo) {
    const keys = response?.data?.keys;
    if (!Array.isArray(keys) || keys.length === 0) return errorResponse(404, []);
  }
  const body = {
    ...(response?.topLevel ?? {}),
    request_id: input.requestId,
    lease_id: "",
    renewable: wrapInfo ? false : (response?.renewable ?? false),
    lease_duration: wrapInfo ? 0 : (response?.leaseDuration ?? 0),
    data: wrapInfo ? null : (response?.data ?? null),
    wrap_info: wrapInfo ?? null,
    warnings: warnings.length > 0 ? warnings : null,
    auth: wrapInfo ? null : (response?.auth ?? null),
  };
  return new Response(`${JSON.stringify(body)}\n`, { status: 200, headers: JSON_HEADERS });
}
