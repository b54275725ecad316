/**
 * discovery.k8s.io/v1 EndpointSlice (https://kubernetes.io/docs/reference/kubernetes-api/service-resources/
 * endpoint-slice-v1/), validated as ValidateEndpointSlice does (k8s.io/kubernetes pkg/apis/discovery/validation):
 * `addressType` required, one of IPv4/IPv6/FQDN and immutable; at most 1000 endpoints of 1 to 100 addresses, each
 * valid for the addressType; at most 100 ports with unique names and a TCP/UDP/SCTP protocol (defaulted to TCP).
 * `endpoints` and `ports` are atomic lists (no merge key), so a strategic merge patch replaces them whole.
 *
 * One deliberate difference: a real server also refuses loopback, link-local and unspecified addresses
 * (ValidateNonSpecialIP, "may not be in the loopback range"); the sandbox's pods live on 127.0.0.0/8 and ::1, so
 * the stand-in accepts them.
 */
import { isIPv4, isIPv6 } from "node:net";
import { isJsonObject, type Json, type JsonObject } from "../json.ts";
import type { StatusCause } from "../status.ts";
import { invalidValue, PLAIN_NAMESPACED, type ResourceType, required, validateName } from "./types.ts";

const ADDRESS_TYPES = ["FQDN", "IPv4", "IPv6"];
const PROTOCOLS = ["SCTP", "TCP", "UDP"];
const MAX_ENDPOINTS = 1000;
const MAX_ADDRESSES = 100;
const MAX_PORTS = 100;
const FQDN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/;

function tooMany(field: string, actual: number, limit: number): StatusCause {
  return {
    reason: "FieldValueTooMany",
    message: `Too many: ${actual}: must have at most ${limit} items`,
    field,
  };
}

function notSupported(field: string, value: string, supported: string[]): StatusCause {
  return {
    reason: "FieldValueNotSupported",
    message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map((s) => `"${s}"`).join(", ")}`,
    field,
  };
}

function addressProblem(addressType: string, address: string): string | undefined {
  if (addressType === "IPv4" && !isIPv4(address)) return "must be a valid IPv4 address";
  if (addressType === "IPv6" && !isIPv6(address)) return "must be a valid IPv6 address";
  if (addressType === "FQDN" && !FQDN.test(address)) return "must be a fully qualified domain name";
  return undefined;
}

function validateEndpoints(endpoints: Json | undefined, addressType: string): StatusCause[] {
  if (endpoints === undefined || endpoints === null) return [];
  if (!Array.isArray(endpoints))
    return [invalidValue("endpoints", JSON.stringify(endpoints), "must be a list")];
  if (endpoints.length > MAX_ENDPOINTS) return [tooMany("endpoints", endpoints.length, MAX_ENDPOINTS)];
  const causes: StatusCause[] = [];
  for (const [index, endpoint] of endpoints.entries()) {
    const at = `endpoints[${index}].addresses`;
    const addresses = isJsonObject(endpoint) ? endpoint.addresses : undefined;
    if (!Array.isArray(addresses) || addresses.length === 0) {
      causes.push(required(at, "Required value: must contain at least 1 address"));
      continue;
    }
    if (addresses.length > MAX_ADDRESSES) causes.push(tooMany(at, addresses.length, MAX_ADDRESSES));
    for (const [n, address] of addresses.entries()) {
      const problem = addressProblem(addressType, String(address));
      if (problem) causes.push(invalidValue(`${at}[${n}]`, String(address), problem));
    }
  }
  return causes;
}

function validatePorts(ports: Json | undefined): StatusCause[] {
  if (!Array.isArray(ports)) return [];
  if (ports.length > MAX_PORTS) return [tooMany("ports", ports.length, MAX_PORTS)];
  const causes: StatusCause[] = [];
  const names = new Set<string>();
  for (const [index, port] of ports.entries()) {
    if (!isJsonObject(port)) continue;
    const name = typeof port.name === "string" ? port.name : "";
    if (names.has(name))
      causes.push({
        reason: "FieldValueDuplicate",
        message: `Duplicate value: "${name}"`,
        field: `ports[${index}].name`,
      });
    names.add(name);
    const protocol = String(port.protocol);
    if (!PROTOCOLS.includes(protocol))
      causes.push(notSupported(`ports[${index}].protocol`, protocol, PROTOCOLS));
  }
  return causes;
}

export const endpointSlices: ResourceType = {
  ...PLAIN_NAMESPACED,
  group: "discovery.k8s.io",
  version: "v1",
  plural: "endpointslices",
  singular: "endpointslice",
  kind: "EndpointSlice",
  shortNames: [],
  applyDefaults(slice) {
    // SetDefaults_EndpointPort: an unnamed port is "", a port without protocol is TCP.
    if (!Array.isArray(slice.ports)) return;
    for (const port of slice.ports) {
      if (!isJsonObject(port)) continue;
      port.name ??= "";
      port.protocol ??= "TCP";
    }
  },
  validate(slice: JsonObject) {
    const causes = validateName(slice, "subdomain");
    const addressType = typeof slice.addressType === "string" ? slice.addressType : "";
    if (!addressType) causes.push(required("addressType"));
    else if (!ADDRESS_TYPES.includes(addressType))
      causes.push(notSupported("addressType", addressType, ADDRESS_TYPES));
    return [...causes, ...validateEndpoints(slice.endpoints, addressType), ...validatePorts(slice.ports)];
  },
  validateUpdate(next, previous) {
    if (next.addressType === previous.addressType) return [];
    return [invalidValue("addressType", String(next.addressType), "field is immutable")];
  },
};
