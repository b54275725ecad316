// Server-side printing for kubectl: `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` answers a
// meta.k8s.io/v1 Table (https://kubernetes.io/docs/reference/using-api/api-concepts/#receiving-resources-as-tables),
// with kubectl's pod columns (STATUS as `kubectl get pods` prints it).
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { pods as podType } from "../../sim/kube/resources/pods.ts";
import { toTable, wantsTable } from "../../sim/kube/table.ts";
import { call, podManifest, startTestSim, type TestSim } from "./helpers.ts";

// Real servers on a busy CI machine: wait generously (bunfig's timeout is not applied by bun 1.4).
setDefaultTimeout(60_000);

const KUBECTL_ACCEPT =
  "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

let t: TestSim;
beforeAll(async () => {
  t = await startTestSim();
});
afterAll(() => t.close());

const now = new Date("2024-01-01T00:10:00Z");
const podWith = (initStates: unknown[], phase = "Pending", extra: Record<string, unknown> = {}) => ({
  metadata: { name: "p", creationTimestamp: "2024-01-01T00:00:00Z" },
  spec: { containers: [{ name: "app" }] },
  status: {
    phase,
    podIP: "127.1.0.4",
    initContainerStatuses: initStates.map((state, i) => ({ name: `i${i}`, state, restartCount: i })),
    ...extra,
  },
});
const statusCell = (pod: ReturnType<typeof podWith>) => toTable(podType, [pod as never], {}, now).rows;

test("kubectl's Accept header asks for a Table; plain JSON does not", () => {
  expect(wantsTable(KUBECTL_ACCEPT)).toBe(true);
  expect(wantsTable("application/json")).toBe(false);
});

test("pod STATUS follows kubectl: Init:n/m, Init:<reason>, then the phase", () => {
  const cell = (pod: ReturnType<typeof podWith>) => (statusCell(pod) as { cells: string[] }[])[0]?.cells;
  expect(cell(podWith([{ running: {} }, { waiting: { reason: "PodInitializing" } }]))?.[2]).toBe("Init:0/2");
  expect(
    cell(podWith([{ terminated: { exitCode: 0 } }, { waiting: { reason: "CrashLoopBackOff" } }]))?.[2],
  ).toBe("Init:CrashLoopBackOff");
  expect(cell(podWith([{ terminated: { exitCode: 2, reason: "Error" } }]))?.[2]).toBe("Init:Error");
  const running = cell(
    podWith([{ terminated: { exitCode: 0 } }], "Running", {
      containerStatuses: [{ name: "app", ready: true, restartCount: 0, state: { running: {} } }],
    }),
  );
  expect(running).toEqual(["p", "1/1", "Running", "0", "10m", "127.1.0.4", "<none>"]);
});

test("list, get and watch answer Tables to kubectl's Accept header", async () => {
  await call(t.sim, "POST", "/api/v1/namespaces/default/pods", { body: podManifest("tabled") });
  const headers = { authorization: `Bearer ${t.sim.token}`, accept: KUBECTL_ACCEPT };
  const list = await (
    await fetch(`${t.sim.server}/api/v1/namespaces/default/pods`, { headers, tls: { ca: t.sim.caPem } })
  ).json();
  expect(list).toMatchObject({ kind: "Table", apiVersion: "meta.k8s.io/v1" });
  expect(list.columnDefinitions.map((c: { name: string }) => c.name)).toEqual([
    "Name",
    "Ready",
    "Status",
    "Restarts",
    "Age",
    "IP",
    "Node",
  ]);
  expect(list.rows[0].cells.slice(0, 3)).toEqual(["tabled", "0/1", "Pending"]);
  expect(list.rows[0].object).toMatchObject({ kind: "PartialObjectMetadata", metadata: { name: "tabled" } });
  const one = await (
    await fetch(`${t.sim.server}/api/v1/namespaces/default/pods/tabled`, {
      headers,
      tls: { ca: t.sim.caPem },
    })
  ).json();
  expect(one.rows).toHaveLength(1);
  const controller = new AbortController();
  const watch = await fetch(`${t.sim.server}/api/v1/namespaces/default/pods?watch=1`, {
    headers,
    tls: { ca: t.sim.caPem },
    signal: controller.signal,
  });
  const reader = watch.body?.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const chunk = await reader?.read();
    if (!chunk || chunk.done) break;
    text += new TextDecoder().decode(chunk.value);
  }
  controller.abort();
  const event = JSON.parse(text.split("\n")[0] ?? "{}");
  expect(event.type).toBe("ADDED");
  expect(event.object.kind).toBe("Table");
  expect(event.object.rows[0].cells[0]).toBe("tabled");
  expect((await call(t.sim, "GET", "/api/v1/namespaces/default/pods/tabled")).json.kind).toBe("Pod");
});
