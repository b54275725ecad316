/**
 * The delivery suite on the real servers: kube-apiserver + kube-controller-manager on etcd, and Vault, built from
 * their Go modules (scripts/real-servers.sh). The controller runs on a TokenRequest token of kustomize/base's
 * ServiceAccount, with exactly the base's RBAC.
 */
import { deliverySuite } from "../e2e/suites/delivery.ts";

deliverySuite({ backend: "real", podIpPrefix: "127.61", controllerIp: "127.0.61.1" });
