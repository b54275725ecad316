/**
 * The demo's choice of loopback blocks: /proc/net/tcp listeners are decoded right (little-endian addresses, LISTEN
 * only), and a block the user names explicitly is refused while something listens in it.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freeBlock, listeningAddresses } from "../../sim/demo/addresses.ts";

const dir = mkdtempSync(join(tmpdir(), "kv-demo-addresses-"));
let server: Server | undefined;

afterAll(() => {
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("demo address blocks", () => {
  test("listeningAddresses decodes listening sockets only", () => {
    const file = join(dir, "tcp");
    writeFileSync(
      file,
      [
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
        "   0: 0402007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1",
        "   1: 0501017F:C350 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 2 1",
      ].join("\n"),
    );
    expect([...listeningAddresses(file)]).toEqual(["127.0.2.4"]);
  });

  test("an explicitly named block with a listener in it is refused with the flag to change", async () => {
    server = createServer();
    await new Promise<void>((resolve) => server?.listen(0, "127.0.48.9", resolve));
    expect(() => freeBlock("controller", "127.0.48")).toThrow(
      /something already listens on 127\.0\.48\.\*.*pass another --controller-prefix/,
    );
    expect(freeBlock("controller", "127.0.49")).toBe("127.0.49");
  });
});
