/**
 * podSourceOf(): the informer seen as lib/controller's PodSource (structurally; lib/kube does not import the
 * controller). Add/update deliver the cached SlimPod; a delete delivers a tombstone holding only the pod's key,
 * which is all the controller needs to find what it served.
 */
import type { PodEventType, PodInformer } from "./pod-informer.ts";
import type { PodKey, SlimPod } from "./slim-pod.ts";

export interface DeletedPod {
  metadata: PodKey;
}

export interface InformerPodSource {
  subscribe(handler: (type: PodEventType, pod: SlimPod | DeletedPod) => void): () => void;
  list(): SlimPod[];
  waitForSync(): Promise<void>;
}

export function podSourceOf(informer: PodInformer): InformerPodSource {
  return {
    subscribe(handler) {
      return informer.on((type, key) => {
        if (type === "delete") return handler(type, { metadata: key });
        const pod = informer.getByUid(key.uid);
        if (pod) handler(type, pod);
      });
    },
    list: () => informer.list(),
    waitForSync: () => informer.waitForSync(),
  };
}
