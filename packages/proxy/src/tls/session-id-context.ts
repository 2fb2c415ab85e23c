// The TLS session id context of the MySQL port. OpenSSL refuses to resume a session whose
// context differs from the server's (and, when client certificates are requested, fails the
// handshake outright if the server has none: "session id context uninitialized"). Binding it to
// the trusted user CA generations ties a session to this Gatehouse cluster (its CAs are its own)
// and to the CA set in force: after a user CA rotation every client makes one full handshake.
import { createHash } from 'node:crypto';

/** OpenSSL's SSL_MAX_SID_CTX_LENGTH. */
const MAX_LENGTH = 32;

/** A stable context from the fingerprints of the user CAs trusted now (any order). */
export function computeSessionIdContext(userCaFingerprints: readonly string[]): string {
  const hash = createHash('sha256').update('gatehouse mysql client leg v1');
  for (const fingerprint of [...userCaFingerprints].sort()) hash.update('\0').update(fingerprint);
  // Hex, so the string Node hands to OpenSSL is exactly MAX_LENGTH bytes.
  return hash.digest('hex').slice(0, MAX_LENGTH);
}
