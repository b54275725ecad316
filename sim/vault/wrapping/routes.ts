/**
 * sys/wrapping/* (api-docs/system/wrapping-*): lookup (callable without a token), unwrap (wrapping token in the
 * header, or a client token in the header and the wrapping token in the body), rewrap and wrap.
 */

import type { SimContext } from "../core/context.ts";
import { badRequest } from "../core/errors.ts";
import type { Route } from "../core/logical.ts";
import { liveWrappingToken, wrapResponse } from "./wrap.ts";

export function wrappingRoutes({ tokens }: SimContext): Route[] {
  return [
    {
      pattern: "wrapping/lookup",
      fields: { token: "string" },
      unauthenticated: true,
      operations: {
        update: (r) => {
          const entry = liveWrappingToken(
            tokens,
            r.fields.string("token") ?? r.headers.get("x-vault-token") ?? undefined,
          );
          return {
            data: {
              creation_path: entry.wrapping.creationPath,
              creation_time: new Date(entry.creationTime).toISOString(),
              creation_ttl: entry.creationTtl,
            },
          };
        },
      },
    },
    {
      pattern: "wrapping/unwrap",
      fields: { token: "string" },
      headerMayBeWrappingToken: true,
      operations: {
        update: (r) => {
          const entry = liveWrappingToken(tokens, r.fields.string("token") ?? r.token?.id);
          tokens.revoke(entry.id);
          const { data, auth, warnings } = entry.wrapping.body;
          return { data, auth, ...(warnings ? { warnings } : {}) };
        },
      },
    },
    {
      pattern: "wrapping/rewrap",
      fields: { token: "string" },
      operations: {
        update: (r) => {
          const entry = liveWrappingToken(tokens, r.fields.string("token"));
          tokens.revoke(entry.id);
          return { wrapInfo: wrapResponse(tokens, entry.wrapping, entry.creationTtl) };
        },
      },
    },
    {
      pattern: "wrapping/wrap",
      fields: { "*": "any" },
      operations: {
        update: (r) => {
          if (r.wrapTtl === undefined)
            throw badRequest("wrap TTL must be set: send the X-Vault-Wrap-TTL header");
          return { data: r.fields.raw };
        },
      },
    },
  ];
}
