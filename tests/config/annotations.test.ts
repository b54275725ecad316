// Pod annotations: not ours unless both exist; present-but-invalid values name the annotation.
import { describe, expect, test } from "bun:test";
import {
  APPROLE_ANNOTATION,
  INIT_CONTAINER_ANNOTATION,
  parsePodAnnotations,
} from "../../lib/config/index.ts";
import { configErrorOf } from "./support.ts";

function problems(annotations: Record<string, string>) {
  return configErrorOf(() => parsePodAnnotations(annotations)).problems;
}

describe("parsePodAnnotations", () => {
  test("the original's annotation names", () => {
    expect(APPROLE_ANNOTATION).toBe("pod.boostport.com/vault-approle");
    expect(INIT_CONTAINER_ANNOTATION).toBe("pod.boostport.com/vault-init-container");
  });

  test("both present and valid", () => {
    expect(
      parsePodAnnotations({
        [APPROLE_ANNOTATION]: "sample-app",
        [INIT_CONTAINER_ANNOTATION]: "vault-init",
        other: "x",
      }),
    ).toEqual({
      role: "sample-app",
      initContainer: "vault-init",
    });
    expect(
      parsePodAnnotations({ [APPROLE_ANNOTATION]: "My App.v2_x", [INIT_CONTAINER_ANNOTATION]: "init0" })
        ?.role,
    ).toBe("My App.v2_x");
  });

  test("not ours unless both exist", () => {
    expect(parsePodAnnotations(undefined)).toBeUndefined();
    expect(parsePodAnnotations({})).toBeUndefined();
    expect(parsePodAnnotations({ [APPROLE_ANNOTATION]: "sample-app" })).toBeUndefined();
    expect(parsePodAnnotations({ [INIT_CONTAINER_ANNOTATION]: "vault-init" })).toBeUndefined();
    expect(parsePodAnnotations({ [APPROLE_ANNOTATION]: "" })).toBeUndefined();
  });

  test("empty values are errors naming the annotation", () => {
    const found = problems({ [APPROLE_ANNOTATION]: "", [INIT_CONTAINER_ANNOTATION]: "" });
    expect(found.map((p) => p.variable)).toEqual([APPROLE_ANNOTATION, INIT_CONTAINER_ANNOTATION]);
    expect(found.map((p) => p.problem)).toEqual(["not a valid AppRole name: it is empty", "it is empty"]);
  });

  const invalidRoles: [string, string][] = [
    ["a/b", "characters Vault does not allow"],
    ["..", "path step"],
    [" padded", "starts or ends with a space"],
    ["x".repeat(4096), "4096 bytes"],
    ["role?", "characters"],
  ];
  for (const [role, why] of invalidRoles)
    test(`AppRole ${JSON.stringify(role.slice(0, 12))} is refused (${why})`, () => {
      const found = problems({ [APPROLE_ANNOTATION]: role, [INIT_CONTAINER_ANNOTATION]: "vault-init" });
      expect(found).toHaveLength(1);
      expect(found[0]?.variable).toBe(APPROLE_ANNOTATION);
      expect(found[0]?.problem).toContain(why);
      expect(found[0]?.fix).toContain("vault list auth/approle/role");
    });

  for (const container of ["Vault-Init", "vault_init", "-init", "init-", "a".repeat(64), "vault.init"])
    test(`init container ${JSON.stringify(container.slice(0, 12))} is not a DNS-1123 label`, () => {
      const found = problems({ [APPROLE_ANNOTATION]: "sample-app", [INIT_CONTAINER_ANNOTATION]: container });
      expect(found).toHaveLength(1);
      expect(found[0]?.variable).toBe(INIT_CONTAINER_ANNOTATION);
      expect(found[0]?.problem).toContain("DNS-1123");
      expect(found[0]?.fix).toContain("spec.initContainers[].name");
    });
});
