// A stream's session token proves one thing once: that a proxy opened this stream for this
// session (docs/migration.md). The engine checks it when the stream opens, and a migration asks
// the proxy for a fresh one. Kept in the header afterwards, the token and its certificate
// (about 1.2 KiB of text) would stay with every idle session on both sides of the tunnel.

/** The header extensions that carry a stream's session token. */
const SESSION_TOKEN_FIELDS = ['sessionToken', 'sessionTokenCert'] as const;

/**
 * Drops the token from the header's extensions, in place: the proxy's and the engine's copies
 * of a header share that object with the stream that keeps it. The fields are set to undefined
 * rather than deleted: a delete turns the object into a dictionary, which costs about as much as
 * the token. JSON leaves undefined fields out, as if they were absent.
 */
export function forgetSessionToken(header: { readonly extensions?: Record<string, unknown> | undefined }): void {
  const extensions = header.extensions;
  if (extensions === undefined) return;
  for (const field of SESSION_TOKEN_FIELDS) if (field in extensions) extensions[field] = undefined;
}
