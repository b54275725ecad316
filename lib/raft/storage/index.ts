/**
 * Raft storages: the Storage contract, an in-memory storage and a durable file storage for RAFT_DIR.
 * Both pass the same test suite (tests/raft/storage-suite.ts).
 */
export { FileStorage, type FileStorageOptions, type RecoveryReport } from "./file.ts";
export { MemoryStorage } from "./memory.ts";
export { CorruptFileError } from "./record.ts";
export type { InitialState, PersistUpdate, RaftStorage, Storage } from "./storage.ts";
