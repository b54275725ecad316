/**
 * The frames of a Raft message stream: [payload length: u32 BE][payload][MAC: 32 bytes], where the payload is a
 * batch of messages in lib/raft's wire format (wire.ts) and an empty payload is a ping.
 * MAC = HMAC-SHA256(stream key, sequence number as u64 BE ‖ length ‖ payload), the sequence number counting frames
 * from 0 on both sides and never sent: a frame injected, altered, replayed, dropped or reordered by someone without
 * the stream key (auth.ts streamKey) fails its MAC, and the stream is closed.
 *
 * The opener checks a frame's declared length against its limit as soon as the 4 length bytes are in, before the
 * payload is buffered, so an oversized frame costs nothing.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export const FRAME_LENGTH_BYTES = 4;
export const FRAME_MAC_BYTES = 32;

export type FrameRejection = "unauthenticated" | "oversize";

export class FrameError extends Error {
  constructor(
    readonly reason: FrameRejection,
    message: string,
  ) {
    super(message);
    this.name = "FrameError";
  }
}

/**
 * Byte by byte, not through DataView: reading `.buffer` of a typed array makes Bun (JavaScriptCore) give it an
 * ArrayBuffer of its own, a copy, which was 13% of an idle replica's CPU samples when every frame did it.
 */
function writeUint32(into: Uint8Array, at: number, value: number): void {
  into[at] = value >>> 24;
  into[at + 1] = (value >>> 16) & 0xff;
  into[at + 2] = (value >>> 8) & 0xff;
  into[at + 3] = value & 0xff;
}

const readUint32 = (from: Uint8Array): number =>
  (((from[0] ?? 0) << 24) | ((from[1] ?? 0) << 16) | ((from[2] ?? 0) << 8) | (from[3] ?? 0)) >>> 0;

function frameMac(key: Uint8Array, sequence: number, head: Uint8Array, payload: Uint8Array): Buffer {
  // Sequence numbers stay far below 2^53: a frame every millisecond for 285,000 years.
  const counter = new Uint8Array(8);
  writeUint32(counter, 0, Math.floor(sequence / 2 ** 32));
  writeUint32(counter, 4, sequence >>> 0);
  return createHmac("sha256", key).update(counter).update(head).update(payload).digest();
}

export interface FrameSealer {
  /** The next frame carrying `payload` (empty: a ping). */
  seal(payload: Uint8Array): Uint8Array<ArrayBuffer>;
}

export function createFrameSealer(key: Uint8Array): FrameSealer {
  let sequence = 0;
  return {
    seal(payload) {
      const frame = new Uint8Array(FRAME_LENGTH_BYTES + payload.byteLength + FRAME_MAC_BYTES);
      const head = frame.subarray(0, FRAME_LENGTH_BYTES);
      writeUint32(frame, 0, payload.byteLength);
      frame.set(payload, FRAME_LENGTH_BYTES);
      frame.set(frameMac(key, sequence++, head, payload), FRAME_LENGTH_BYTES + payload.byteLength);
      return frame;
    },
  };
}

export interface FrameOpener {
  /**
   * The payloads of the frames `chunk` completes, in order, up to the first bad frame, which is `error`: the
   * genuine frames before it in the same chunk still count. After an error every push answers it again.
   */
  push(chunk: Uint8Array): { payloads: Uint8Array[]; error?: FrameError };
  /** Bytes held of a frame not complete yet. */
  readonly pending: number;
}

export function createFrameOpener(key: Uint8Array, maxPayloadBytes: number): FrameOpener {
  let sequence = 0;
  let buffer: Uint8Array = new Uint8Array(0);
  /** Bytes of the chunk `buffer` is a view into (its `.buffer` is not read: see writeUint32). */
  let held = 0;
  let failed: FrameError | undefined;
  return {
    get pending() {
      return buffer.byteLength;
    },
    push(chunk) {
      if (failed) return { payloads: [], error: failed };
      if (buffer.byteLength === 0) buffer = chunk;
      else {
        const joined = new Uint8Array(buffer.byteLength + chunk.byteLength);
        joined.set(buffer);
        joined.set(chunk, buffer.byteLength);
        buffer = joined;
      }
      held = buffer.byteLength;
      const payloads: Uint8Array[] = [];
      for (;;) {
        if (buffer.byteLength < FRAME_LENGTH_BYTES) break;
        const length = readUint32(buffer);
        if (length > maxPayloadBytes) {
          failed = new FrameError(
            "oversize",
            `frame ${sequence} declares ${length} bytes, at most ${maxPayloadBytes} are allowed`,
          );
          break;
        }
        const total = FRAME_LENGTH_BYTES + length + FRAME_MAC_BYTES;
        if (buffer.byteLength < total) break;
        const head = buffer.subarray(0, FRAME_LENGTH_BYTES);
        const payload = buffer.subarray(FRAME_LENGTH_BYTES, FRAME_LENGTH_BYTES + length);
        const mac = buffer.subarray(FRAME_LENGTH_BYTES + length, total);
        if (!timingSafeEqual(mac, frameMac(key, sequence, head, payload))) {
          failed = new FrameError(
            "unauthenticated",
            `frame ${sequence}: the MAC does not match (forged, altered, replayed or out of order)`,
          );
          break;
        }
        sequence++;
        payloads.push(payload);
        buffer = buffer.subarray(total);
      }
      if (failed) {
        buffer = new Uint8Array(0);
        return { payloads, error: failed };
      }
      // A copy once the rest is small, so a long-lived stream never pins the large chunk it arrived in.
      if (buffer.byteLength > 0 && held > 4 * buffer.byteLength) buffer = buffer.slice();
      return { payloads };
    },
  };
}
