/**
 * sys/policies/acl (api-docs/system/policies) and the legacy sys/policy (api-docs/system/policy).
 * Both are mounted inside the sys backend, so their routes are relative to "sys/".
 */
import { badRequest } from "../core/errors.ts";
import { listResponse, type Route } from "../core/logical.ts";
import type { PolicyStore } from "./store.ts";

export function policyRoutes(store: PolicyStore): Route[] {
  const policyText = (fields: { string(name: string): string | undefined }): string => {
    const text = fields.string("policy") ?? fields.string("rules");
    if (text === undefined) throw badRequest("'policy' parameter not supplied or empty");
    return text;
  };
  return [
    {
      pattern: "policies/acl",
      operations: { list: () => listResponse(store.names()) },
    },
    {
      pattern: "policies/acl/:name",
      fields: { policy: "string" },
      exists: ({ name }) => store.get(name ?? "") !== undefined,
      operations: {
        read: ({ params }) => {
          const policy = store.get(params.name ?? "");
          return policy && { data: { name: policy.name, policy: policy.text } };
        },
        create: ({ params, fields }) => store.put(params.name ?? "", policyText(fields)),
        update: ({ params, fields }) => store.put(params.name ?? "", policyText(fields)),
        delete: ({ params }) => store.delete(params.name ?? ""),
      },
    },
    {
      pattern: "policy",
      operations: {
        read: () => ({
          data: { keys: store.names(), policies: store.names() },
          topLevel: { keys: store.names(), policies: store.names() },
        }),
      },
    },
    {
      pattern: "policy/:name",
      fields: { policy: "string", rules: "string" },
      operations: {
        read: ({ params }) => {
          const policy = store.get(params.name ?? "");
          return policy && { data: { name: policy.name, rules: policy.text } };
        },
        update: ({ params, fields }) => store.put(params.name ?? "", policyText(fields)),
        delete: ({ params }) => store.delete(params.name ?? ""),
      },
    },
  ];
}
