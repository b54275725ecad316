/**
 * Loopback blocks for the chaos run's controllers and fleet pods. Unlike the demo it never takes the sandbox's
 * defaults (127.0.2 for controllers, 127.1 for pods): tests start controllers there at any moment, and a replica
 * this run killed would find its address taken when restarted. Blocks are checked free (no listening socket) at the
 * start; an explicit prefix that is busy is refused.
 */
import { listeningAddresses } from "../demo/addresses.ts";

const CONTROLLER_BLOCKS = Array.from({ length: 20 }, (_, i) => `127.0.${i + 180}`);
const POD_BLOCKS = Array.from({ length: 20 }, (_, i) => `127.${i + 180}`);

export function chaosBlocks(controllerPrefix: string | undefined): { controllers: string; pods: string } {
  const listening = [...listeningAddresses()];
  const free = (block: string) => !listening.some((address) => address.startsWith(`${block}.`));
  if (controllerPrefix !== undefined && !free(controllerPrefix))
    throw new Error(
      `something already listens on ${controllerPrefix}.* (another run or test?); stop it or pass another --controller-prefix`,
    );
  const controllers = controllerPrefix ?? CONTROLLER_BLOCKS.find(free);
  const pods = POD_BLOCKS.find(free);
  if (!controllers || !pods)
    throw new Error("every loopback block the chaos run knows is in use; pass --controller-prefix");
  return { controllers, pods };
}
