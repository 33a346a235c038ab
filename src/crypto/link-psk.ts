/**
 * The modern link protocol's pre-shared key: not the configured key string
 * itself but scrypt(key, "smolmesh link psk v1", N=32768, r=8, p=1, 32
 * bytes), so someone who records a handshake and guesses a human-chosen
 * key pays scrypt per guess. Computed once per configured key at start-up
 * (about 0.1 s each; scrypt needs 32 MiB here, over node:crypto's default
 * limit, hence `maxmem`).
 */
import { scryptSync } from "node:crypto";

export const PSK_SALT = "smolmesh link psk v1";
export const SCRYPT = { N: 32768, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;

export function linkPsk(key: string): Uint8Array {
  return new Uint8Array(scryptSync(Buffer.from(key, "utf8"), Buffer.from(PSK_SALT, "ascii"), 32, SCRYPT));
}
