/**
 * Whether RAFT_DIR holds Raft state: a term, a log entry or a snapshot. Opening FileStorage creates an empty log
 * file, so the files' presence alone says nothing (a replica that waited to join and restarted holds only those).
 */
import { readdir } from "node:fs/promises";
import { FileStorage } from "../raft/index.ts";

/** FileStorage's files (lib/raft/storage/file.ts). */
const RAFT_STATE_FILES = ["log", "snapshot"];

export async function holdsRaftState(dir: string): Promise<boolean> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return false;
  }
  if (!names.some((name) => RAFT_STATE_FILES.includes(name))) return false;
  const storage = await FileStorage.open({ dir });
  try {
    const { hardState } = storage.initialState();
    return hardState.term > 0 || storage.lastIndex() > 0 || storage.snapshot().metadata.index > 0;
  } finally {
    await storage.close();
  }
}
