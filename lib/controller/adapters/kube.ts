/**
 * lib/kube seen through the controller's ports: its event recorder as an EventSink (the Normal/Warning type comes
 * from our reason table, so callers cannot mislabel an outcome), and its informer's pod source as a PodSource.
 */
import type { EventRecorder, InformerPodSource } from "../../kube/index.ts";
import type { PodSource } from "../assembly/index.ts";
import { EVENT_REASONS, type EventSink } from "../reconcile/index.ts";

export function eventSinkFrom(recorder: Pick<EventRecorder, "record">): EventSink {
  return {
    record: (pod, reason, message) =>
      recorder.record(
        { uid: pod.uid, namespace: pod.namespace, name: pod.name },
        reason,
        message,
        EVENT_REASONS[reason],
      ),
  };
}

/** Compile-time proof that lib/kube's source fits; at run time the same object. */
export function podSourceFrom(source: InformerPodSource): PodSource {
  return source;
}
