/** The machine a run was measured on, for results.json's `machine` and RESULTS.md. */
import { readFileSync } from "node:fs";
import os from "node:os";

export interface Machine {
  cpu_model: string;
  cores: number;
  memory_gb: number;
  os: string;
  kernel: string;
  arch: string;
  bun: string;
  /** What served Vault and the Kubernetes API: the stand-ins, or the real servers (--real). */
  servers: string;
}

function osName(): string {
  try {
    const release = readFileSync("/etc/os-release", "utf8");
    return /^PRETTY_NAME="?([^"\n]+)"?/m.exec(release)?.[1] ?? os.type();
  } catch {
    return os.type();
  }
}

export function describeMachine(servers = "stand-ins"): Machine {
  const cpus = os.cpus();
  return {
    cpu_model: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    memory_gb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: osName(),
    kernel: os.release(),
    arch: os.arch(),
    bun: Bun.version,
    servers,
  };
}
