/**
 * `bun run demo --sidecar`: pods whose init container is a native sidecar (MODE=sidecar, restartPolicy Always), on
 * AppRole tokens that live seconds, so one run shows every pod's token renewed by its sidecar and re-issued by the
 * controller once renewal runs out at the role's max TTL. The demo watches each token file the way an app would and
 * asks Vault about the token it finds there.
 *
 * Contract: passes only if every pod was served, renewed at least once and re-issued at least once, no token file
 * ever held a token past its lease or one Vault refused, and a deleted pod's sidecar revoked its token on SIGTERM.
 */
import { ApiCaller } from "../sandbox/provision.ts";
import type { Display } from "./display.ts";
import type { DemoOptions } from "./options.ts";
import { type DemoPod, PodTracker, planPods, type TokenFileView } from "./pods.ts";
import { fetchText } from "./replicas.ts";
import { type DemoContext, type DemoRun, startDemoBase } from "./run.ts";
import type { Check } from "./summary.ts";

/** Seconds, so that one run of well under a minute sees several renewals and re-issues per pod. */
export const SIDECAR_DEMO_TTLS = { tokenTtl: "6s", tokenMaxTtl: "15s" } as const;
/**
 * Re-issue this long before the recorded expiry: room for a mint, a push and a login on a busy machine. The
 * controller caps the margin at 1/4 of the lease (1.5 s of 6 s), so this is what it uses, said plainly.
 */
export const SIDECAR_DEMO_REISSUE_MARGIN = "1500ms";
const SIDECAR_DEMO_REISSUE_MARGIN_MS = 1_500;
const SERVE_DEADLINE_MS = 60_000;
/** Long enough for two max-TTL cycles after the last pod was served. */
const OBSERVE_DEADLINE_MS = 60_000;
const POLL_MS = 200;
/** A lookup per pod about this often: the authoritative "is the token on disk still good" check. */
const LOOKUP_EVERY_MS = 1_000;
const REVOKE_DEADLINE_MS = 30_000;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One pod as the sidecar demo watches it. Tokens are kept in memory only to compare them, never printed. */
interface Watched {
  pod: DemoPod;
  tokens: Set<string>;
  current?: TokenFileView;
  renewals: number;
  /** Times the file held a token whose lease (write time + lease) had run out. */
  expiredOnDisk: number;
  /** Times Vault refused the token the file held at that moment. */
  refusedOnDisk: number;
  lastLookupAt: number;
  /** Per re-issue: the new token's write time minus (the old token's expiry - the margin), in ms. */
  reissueDelaysMs: number[];
}

const reissues = (w: Watched) => Math.max(0, w.tokens.size - 1);

function observe(watched: Watched, view: TokenFileView | undefined, now: number): void {
  if (!view) return;
  const previous = watched.current;
  watched.current = view;
  if (!watched.pod.token) {
    watched.pod.token = view.clientToken;
    watched.pod.servedAt = performance.now();
  }
  const isNewToken = !watched.tokens.has(view.clientToken);
  watched.tokens.add(view.clientToken);
  if (previous?.clientToken === view.clientToken && previous.writtenAtMs !== view.writtenAtMs)
    watched.renewals++;
  if (previous && isNewToken && previous.leaseDurationSeconds > 0) {
    const dueAt =
      previous.writtenAtMs + previous.leaseDurationSeconds * 1000 - SIDECAR_DEMO_REISSUE_MARGIN_MS;
    watched.reissueDelaysMs.push(view.writtenAtMs - dueAt);
  }
  // The lease started at the login, a moment before the write: write time + lease is the latest it can end.
  if (view.leaseDurationSeconds > 0 && now > view.writtenAtMs + view.leaseDurationSeconds * 1000)
    watched.expiredOnDisk++;
}

async function lookUp(tracker: PodTracker, watched: Watched, now: number): Promise<void> {
  const view = watched.current;
  if (!view || now - watched.lastLookupAt < LOOKUP_EVERY_MS) return;
  watched.lastLookupAt = now;
  const ttl = await tracker.vaultTtl(view.clientToken);
  if (ttl !== undefined) return;
  // A re-issue may have replaced the file (and the sidecar revoked the old token) while we asked: only a refusal of
  // the token still on disk counts.
  if (tracker.tokenFile(watched.pod)?.clientToken === view.clientToken) watched.refusedOnDisk++;
}

async function shortenRoleTtls(run: Pick<DemoRun, "sandbox">): Promise<string[]> {
  const d = run.sandbox.description;
  const vault = new ApiCaller(`${d.vault.addr}/v1/`, run.sandbox.vault.caPem, {
    "X-Vault-Token": d.vault.rootToken,
  });
  const roles = Object.keys(d.approles);
  for (const role of roles)
    await vault.call("POST", `auth/approle/role/${role}`, {
      token_ttl: SIDECAR_DEMO_TTLS.tokenTtl,
      token_max_ttl: SIDECAR_DEMO_TTLS.tokenMaxTtl,
    });
  return roles;
}

/** Sums a counter over its label sets in a Prometheus text exposition. */
export function counterTotal(metricsText: string, name: string): number {
  let total = 0;
  for (const match of metricsText.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "gm")))
    total += Number(match[1]);
  return total;
}

function progress(display: Display, watched: Watched[], elapsedMs: number): void {
  const served = watched.filter((w) => w.pod.token).length;
  const renewed = watched.filter((w) => w.renewals > 0).length;
  const reissued = watched.filter((w) => reissues(w) > 0).length;
  display.note(
    `${(elapsedMs / 1000).toFixed(0)} s: served ${served}/${watched.length}, renewed ${renewed}/${watched.length}, re-issued ${reissued}/${watched.length}`,
  );
}

export async function runSidecarDemo(options: DemoOptions, context: DemoContext): Promise<DemoRun> {
  const { display } = context;
  const { sandbox, cluster, elapsed } = await startDemoBase(options, context, {
    SIDECAR_REISSUE_MARGIN: SIDECAR_DEMO_REISSUE_MARGIN,
  });
  const roles = await shortenRoleTtls({ sandbox });
  display.note(
    `AppRoles ${roles.join(", ")}: token_ttl ${SIDECAR_DEMO_TTLS.tokenTtl}, token_max_ttl ${SIDECAR_DEMO_TTLS.tokenMaxTtl}; controllers re-issue ${SIDECAR_DEMO_REISSUE_MARGIN} before expiry`,
  );
  const tracker = new PodTracker(sandbox, context.binaries.init, { sidecar: true });
  const pods = planPods(options.pods + 1).filter((p) => p.allowed);
  const watched: Watched[] = pods.map((pod) => ({
    pod,
    tokens: new Set(),
    renewals: 0,
    expiredOnDisk: 0,
    refusedOnDisk: 0,
    lastLookupAt: 0,
    reissueDelaysMs: [],
  }));
  display.note(`creating ${pods.length} pods whose init container is a native sidecar`);
  for (const pod of pods) await tracker.create(pod, performance.now());

  const sweep = async () => {
    const now = Date.now();
    for (const w of watched) observe(w, tracker.tokenFile(w.pod), now);
    await Promise.all(watched.map((w) => lookUp(tracker, w, now)));
  };
  const until = async (deadlineMs: number, done: () => boolean) => {
    const end = performance.now() + deadlineMs;
    let lastNote = 0;
    while (!done() && performance.now() < end) {
      await sweep();
      if (performance.now() - lastNote > 5_000) {
        progress(display, watched, elapsed());
        lastNote = performance.now();
      }
      await pause(POLL_MS);
    }
    await sweep();
    return done();
  };
  const allServed = await until(SERVE_DEADLINE_MS, () => watched.every((w) => w.pod.token));
  if (!allServed) display.note(`not every pod was served within ${SERVE_DEADLINE_MS} ms`);
  const cycled = await until(OBSERVE_DEADLINE_MS, () =>
    watched.every((w) => w.renewals > 0 && reissues(w) > 0),
  );
  progress(display, watched, elapsed());
  if (!cycled) display.note(`not every pod was renewed and re-issued within ${OBSERVE_DEADLINE_MS} ms`);

  const metricsTexts = await Promise.all(
    cluster.members.filter((r) => r.alive()).map(async (r) => (await fetchText(r.metricsUrl)) ?? ""),
  );
  const revoked = await revokedOnDelete(tracker, sandbox, watched[0]);
  const checks: Check[] = [
    count("pods served a token by their sidecar", watched, (w) => w.pod.token !== undefined),
    count("pods whose token was renewed (renew-self)", watched, (w) => w.renewals > 0),
    count("pods re-issued a token by the controller", watched, (w) => reissues(w) > 0),
    {
      what: "token files seen past their lease",
      result: String(sum(watched, (w) => w.expiredOnDisk)),
      ok: sum(watched, (w) => w.expiredOnDisk) === 0,
    },
    {
      what: "token files holding a token Vault refused",
      result: String(sum(watched, (w) => w.refusedOnDisk)),
      ok: sum(watched, (w) => w.refusedOnDisk) === 0,
    },
    revoked,
  ];
  const metrics = metricsTexts.join("\n");
  const facts = [
    { what: "controller replicas", value: String(cluster.members.length) },
    { what: "renewals seen in token files", value: String(sum(watched, (w) => w.renewals)) },
    { what: "re-issues seen in token files", value: String(sum(watched, reissues)) },
    {
      what: "re-issues the controllers counted",
      value: String(counterTotal(metrics, "kubernetesvault_sidecar_token_reissues_total")),
    },
    {
      what: "renewals the controllers observed",
      value: String(counterTotal(metrics, "kubernetesvault_sidecar_token_renewals_observed_total")),
    },
    { what: "renewals per pod (min / max)", value: spread(watched.map((w) => w.renewals)) },
    { what: "re-issues per pod (min / max)", value: spread(watched.map(reissues)) },
    {
      what: "expiry - margin -> new token on disk (p50 / max)",
      value: delays(watched.flatMap((w) => w.reissueDelaysMs)),
    },
    {
      what: "old token's lease left when the new one landed (min / p50)",
      value: slack(watched.flatMap((w) => w.reissueDelaysMs)),
    },
    { what: "wall time", value: `${(elapsed() / 1000).toFixed(1)} s` },
  ];
  return { outcome: { checks, facts }, sandbox, cluster };
}

function spread(values: number[]): string {
  return values.length === 0 ? "-" : `${Math.min(...values)} / ${Math.max(...values)}`;
}

/**
 * The old token's expiry is read from disk (write time + lease), a little after Vault's own. A delay below 0 means
 * the new token was on disk before expiry - margin: a status check found the token expiring (its last renewal was
 * cut at the max TTL) and the controller re-issued at once rather than wait for the margin.
 */
function delays(values: number[]): string {
  if (values.length === 0) return "-";
  const sorted = [...values].sort((a, b) => a - b);
  const p50 = sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
  return `${Math.round(p50)} ms / ${Math.round(sorted[sorted.length - 1] ?? 0)} ms (${sorted.length} re-issues)`;
}

/** The same measurements turned round: how long the old token would still have lasted. */
function slack(delaysMs: number[]): string {
  if (delaysMs.length === 0) return "-";
  const left = delaysMs.map((d) => SIDECAR_DEMO_REISSUE_MARGIN_MS - d).sort((a, b) => a - b);
  const p50 = left[Math.floor((left.length - 1) / 2)] ?? 0;
  return `${Math.round(left[0] ?? 0)} ms / ${Math.round(p50)} ms`;
}

function sum(watched: Watched[], of: (w: Watched) => number): number {
  return watched.reduce((total, w) => total + of(w), 0);
}

function count(what: string, watched: Watched[], ok: (w: Watched) => boolean): Check {
  const n = watched.filter(ok).length;
  return { what, result: `${n}/${watched.length}`, ok: n === watched.length };
}

/**
 * Deletes one pod: the kubelet's SIGTERM makes its sidecar revoke the token it holds (revoke-self). The controller
 * revokes a deleted pod's tokens too, so the check asks for Vault's record of a revoke-self, not only a dead token.
 */
async function revokedOnDelete(
  tracker: PodTracker,
  sandbox: DemoRun["sandbox"],
  watched: Watched | undefined,
): Promise<Check> {
  const what = "a deleted pod's sidecar revoked its token (revoke-self)";
  const token = watched?.current?.clientToken;
  if (!watched || !token) return { what, result: "no pod with a token", ok: false };
  const deletedAt = Date.now();
  await tracker.delete(watched.pod);
  const end = performance.now() + REVOKE_DEADLINE_MS;
  const revokeSelfSeen = () =>
    sandbox.vault.stats.requests.some(
      (r) => r.at >= deletedAt && r.path.endsWith("auth/token/revoke-self") && r.status < 300,
    );
  while (performance.now() < end) {
    if (revokeSelfSeen() && (await tracker.vaultTtl(token)) === undefined)
      return { what, result: `${watched.pod.namespace}/${watched.pod.name}: revoked`, ok: true };
    await pause(POLL_MS);
  }
  return {
    what,
    result: revokeSelfSeen() ? "revoke-self seen but the token still works" : "no revoke-self after deletion",
    ok: false,
  };
}
