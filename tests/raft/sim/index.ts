/**
 * The Raft simulator shared by tests/raft/*.test.ts and tests/raft/sim-cli.ts.
 */
export { SafetyChecker } from "./checker.ts";
export { type ClusterObserver, type ClusterOptions, SimCluster, SimNode } from "./cluster.ts";
export { type NetworkFaults, NO_FAULTS, SimNetwork } from "./network.ts";
export { runSimulation, type SimulationOptions, type SimulationResult } from "./run.ts";
export { HashChainMachine } from "./state-machine.ts";
