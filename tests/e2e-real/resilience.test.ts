/**
 * The resilience suite on the real servers: watches cut at the relay in front of the real API server, real 410s
 * after etcd compaction and an API-server restart, and a real Vault process stopped for 10 s and unsealed again.
 */
import { resilienceSuite } from "../e2e/suites/resilience.ts";

resilienceSuite({ backend: "real", podIpPrefix: "127.63", controllerIp: "127.0.63.1" });
