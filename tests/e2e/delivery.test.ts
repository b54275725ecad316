/** The delivery suite (tests/e2e/suites/delivery.ts) on the stand-ins; tests/e2e-real runs it on the real servers. */
import { deliverySuite } from "./suites/delivery.ts";

deliverySuite({ backend: "stand-ins", podIpPrefix: "127.41", controllerIp: "127.0.41.1" });
