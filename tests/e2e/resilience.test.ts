/** The resilience suite (tests/e2e/suites/resilience.ts) on the stand-ins; tests/e2e-real runs it on the real servers. */
import { resilienceSuite } from "./suites/resilience.ts";

resilienceSuite({ backend: "stand-ins", podIpPrefix: "127.43", controllerIp: "127.0.43.1" });
