/**
 * lib/metrics: `createControllerMetrics()` -> a private prom-client Registry (for /metrics) plus the typed recorder
 * every other module reports through.
 */
import type { Registry } from "prom-client";
import { type ControllerMetricsRecorder, createMetricsRecorder } from "./facade.ts";
import { createMetricsRegistry, type Instruments } from "./instruments.ts";

export * from "./facade.ts";
export * from "./instruments.ts";

export interface ControllerMetricsBundle {
  registry: Registry;
  instruments: Instruments;
  metrics: ControllerMetricsRecorder;
}

export function createControllerMetrics(options: { defaultMetrics?: boolean } = {}): ControllerMetricsBundle {
  const { registry, instruments } = createMetricsRegistry(options);
  return { registry, instruments, metrics: createMetricsRecorder(instruments) };
}
