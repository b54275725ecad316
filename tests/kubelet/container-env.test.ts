// Pure parts of the kubelet stand-in: env resolution (literal values, $(VAR) expansion and downward-API fieldRefs,
// https://kubernetes.io/docs/tasks/inject-data-application/define-interdependent-environment-variables/ and
// https://kubernetes.io/docs/tasks/inject-data-application/environment-variable-expose-pod-information/), the
// mountPath rewrite, and pod IP allocation.
import { expect, test } from "bun:test";
import {
  ContainerConfigError,
  containerLaunch,
  expand,
  mountRewriter,
} from "../../sim/kubelet/container-env.ts";
import { IpPool } from "../../sim/kubelet/ip-pool.ts";

const pod = {
  metadata: {
    name: "web",
    namespace: "apps",
    uid: "u-1",
    labels: { app: "web" },
    annotations: { "a/b": "c" },
  },
  spec: { serviceAccountName: "sa" },
};
const facts = { pod, podIP: "127.1.0.7", hostIP: "127.0.0.1", nodeName: "node-1" };
const noRewrite = (value: string) => value;

test("$(VAR) expands earlier variables, $$ escapes, unknown references stay", () => {
  expect(expand("$(A)-$(B)-$$(A)-$(MISSING)", { A: "1", B: "2" })).toBe("1-2-$(A)-$(MISSING)");
});

test("fieldRefs resolve from the pod, its IP and the node", () => {
  const ref = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { fieldPath } } });
  const { env } = containerLaunch(
    {
      name: "c",
      command: ["true"],
      env: [
        ref("NAME", "metadata.name"),
        ref("NS", "metadata.namespace"),
        ref("UID", "metadata.uid"),
        ref("LABEL", "metadata.labels['app']"),
        ref("ANNOTATION", "metadata.annotations['a/b']"),
        ref("MISSING_ANNOTATION", "metadata.annotations['nope']"),
        ref("IP", "status.podIP"),
        ref("HOST", "status.hostIP"),
        ref("NODE", "spec.nodeName"),
        ref("SA", "spec.serviceAccountName"),
        { name: "BOTH", value: "$(NAME).$(NS)" },
      ],
    },
    facts,
    { PATH: "/bin" },
    noRewrite,
  );
  expect(env).toEqual({
    PATH: "/bin",
    NAME: "web",
    NS: "apps",
    UID: "u-1",
    LABEL: "web",
    ANNOTATION: "c",
    MISSING_ANNOTATION: "",
    IP: "127.1.0.7",
    HOST: "127.0.0.1",
    NODE: "node-1",
    SA: "sa",
    BOTH: "web.apps",
  });
});

test("unsupported sources are a ContainerConfigError", () => {
  const launch = (env: unknown[]) => () =>
    containerLaunch({ name: "c", command: ["true"], env: env as never }, facts, {}, noRewrite);
  expect(launch([{ name: "S", valueFrom: { secretKeyRef: { name: "s", key: "k" } } }])).toThrow(
    ContainerConfigError,
  );
  expect(launch([{ name: "S", valueFrom: { fieldRef: { fieldPath: "spec.secret" } } }])).toThrow(
    ContainerConfigError,
  );
  expect(() => containerLaunch({ name: "c" }, facts, {}, noRewrite)).toThrow(ContainerConfigError);
});

test("mountPath prefixes are rewritten to the volume directory, longest mount first, whole segments only", () => {
  const rewrite = mountRewriter(
    {
      volumeMounts: [
        { name: "secrets", mountPath: "/var/run/secrets/" },
        { name: "token", mountPath: "/var/run/secrets/boostport.com" },
      ],
    },
    (volume) => `/pods/p/volumes/${volume}`,
  );
  expect(rewrite("/var/run/secrets/boostport.com/vault-token")).toBe("/pods/p/volumes/token/vault-token");
  expect(rewrite("/var/run/secrets/other")).toBe("/pods/p/volumes/secrets/other");
  expect(rewrite("/var/run/secrets")).toBe("/pods/p/volumes/secrets");
  expect(rewrite("/var/run/secretsmore")).toBe("/var/run/secretsmore");
  expect(rewrite("relative/path")).toBe("relative/path");
});

test("command and args are expanded and rewritten; args alone are the command line", () => {
  const container = {
    name: "c",
    args: ["init", "--token=$(TOKEN_PATH)", "/data/x"],
    env: [{ name: "TOKEN_PATH", value: "/data/token" }],
    volumeMounts: [{ name: "d", mountPath: "/data" }],
  };
  const { argv, env } = containerLaunch(
    container,
    facts,
    {},
    mountRewriter(container, (v) => `/host/${v}`),
  );
  expect(env.TOKEN_PATH).toBe("/host/d/token");
  // "--token=..." does not start with the mountPath, so only its expansion applies.
  expect(argv).toEqual(["init", "--token=/host/d/token", "/host/d/x"]);
});

test("the IP pool hands out unique addresses, skips .0 and .255, and reuses released ones only after wrapping", () => {
  const pool = new IpPool("127.1.5");
  const first = Array.from({ length: 254 }, () => pool.allocate());
  expect(new Set(first).size).toBe(254);
  expect(first[0]).toBe("127.1.5.1");
  expect(first.some((ip) => ip.endsWith(".0") || ip.endsWith(".255"))).toBe(false);
  expect(() => pool.allocate()).toThrow("exhausted");
  pool.release("127.1.5.9");
  expect(pool.allocate()).toBe("127.1.5.9");
  expect(() => new IpPool("300.1")).toThrow("podIpPrefix");
});
