/**
 * The AES-GCM engines this machine has: node:crypto everywhere, and on
 * Linux the system's OpenSSL (installed by the test setup). Suites about
 * modern links run once per engine.
 */
import { afterAll, beforeAll, describe } from "bun:test";
import { installGcmEngine, nodeGcm } from "../../src/crypto/aes-gcm.ts";
import { openSslGcm } from "../../src/platform/linux/libcrypto.ts";

export const openSsl = process.platform === "linux" ? openSslGcm() : "not Linux";

/** `body` as a describe block per engine, with that engine installed while it runs. */
export function describeEachGcm(title: string, body: () => void): void {
  for (const engine of [nodeGcm, openSsl]) {
    if (typeof engine === "string") {
      console.warn(`skipped "${title}" with OpenSSL's AES-GCM: ${engine}`);
      describe.skip(`${title} (AES-GCM: OpenSSL)`, body);
      continue;
    }
    describe(`${title} (AES-GCM: ${engine.name})`, () => {
      beforeAll(() => {
        const problem = installGcmEngine(engine);
        if (problem) throw new Error(problem);
      });
      afterAll(() => {
        installGcmEngine(nodeGcm);
      });
      body();
    });
  }
}
