/**
 * The two pod annotations that make a pod ours: `pod.boostport.com/vault-approle` (the AppRole) and
 * `pod.boostport.com/vault-init-container` (the init container that receives the push).
 *
 * Contract: a pod without both annotations is not ours (undefined, never an error: most pods are not ours). When
 * both are present, every invalid value is reported at once in a ConfigError naming the annotation.
 */
import { APPROLE_NAME_FIX, appRoleNameProblem, isDns1123Label } from "./converters.ts";
import { ConfigError, type ConfigProblem } from "./errors.ts";

export const APPROLE_ANNOTATION = "pod.boostport.com/vault-approle";
export const INIT_CONTAINER_ANNOTATION = "pod.boostport.com/vault-init-container";

export interface PodAnnotations {
  role: string;
  initContainer: string;
}

export function parsePodAnnotations(
  annotations: Record<string, string> | undefined,
): PodAnnotations | undefined {
  const role = annotations?.[APPROLE_ANNOTATION];
  const initContainer = annotations?.[INIT_CONTAINER_ANNOTATION];
  if (role === undefined || initContainer === undefined) return undefined;
  const problems: ConfigProblem[] = [];
  const roleProblem = appRoleNameProblem(role);
  if (roleProblem !== undefined)
    problems.push({
      variable: APPROLE_ANNOTATION,
      problem: `not a valid AppRole name: ${roleProblem}`,
      fix: APPROLE_NAME_FIX,
    });
  if (!isDns1123Label(initContainer))
    problems.push({
      variable: INIT_CONTAINER_ANNOTATION,
      problem:
        initContainer.trim() === ""
          ? "it is empty"
          : `"${initContainer.slice(0, 80)}" is not a container name (DNS-1123 label)`,
      fix: "set it to the name of the pod's kubernetes-vault init container, exactly as in spec.initContainers[].name",
    });
  if (problems.length > 0) throw new ConfigError(problems, "pod annotations");
  return { role, initContainer };
}
