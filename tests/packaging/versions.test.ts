// One version everywhere: package.json, the Containerfile's OCI version labels, its documented image tags, and
// the images the rendered manifests run. A release that bumps one and forgets another fails here.
import { expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { allContainers, kustomizations, render } from "./support/manifests.ts";
import { ROOT } from "./support/tools.ts";

setDefaultTimeout(120_000);

const version = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
const containerfile = readFileSync(join(ROOT, "Containerfile"), "utf8");

test("the Containerfile labels and documents both images with package.json's version", () => {
  const stages = [...containerfile.matchAll(/^FROM scratch AS (\w+)$/gm)].map((m) => m[1]);
  expect(stages.sort()).toEqual(["controller", "init"]);
  const labelled = [...containerfile.matchAll(/org\.opencontainers\.image\.version="([^"]+)"/g)].map(
    (m) => m[1],
  );
  expect(labelled).toEqual([version, version]);
  for (const stage of ["controller", "init"])
    expect(containerfile).toContain(`--target ${stage} -t localhost/kubernetes-vault-${stage}:${version}`);
});

test.each(kustomizations())("kustomize/%s runs our images at package.json's version", async (which) => {
  const ours = allContainers(await render(which))
    .map(([, container]) => container.image)
    .filter((image) => image.includes("kubernetes-vault"));
  expect(ours.length).toBeGreaterThan(0);
  for (const image of ours)
    expect(image).toMatch(new RegExp(`^localhost/kubernetes-vault-(controller|init):${version}$`));
});
