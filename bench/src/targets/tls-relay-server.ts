// The least a TLS-terminating MySQL relay can do, for the bench's `tls-relay` target: the floor
// that the runtime itself sets for a gateway that, like Gatehouse, decrypts the client's TLS and
// encrypts again towards the database. No MySQL logic beyond the connection phase:
//   1. pass the server's greeting through, in plain TCP;
//   2. read the client's SSLRequest (the first client packet, alone) and forward it;
//   3. start TLS as the server on the client socket and as the client on the database socket;
//   4. pipe plaintext both ways.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase_packets_protocol_ssl_request.html

import { X509Certificate } from 'node:crypto';
import { connect as connectTcp, createServer, type Server, type Socket } from 'node:net';
import { connect as connectTls, createSecureContext, type SecureContext, TLSSocket } from 'node:tls';
import { Capability, hasCapability, ServerError, serializeErrPacket, serializePacket } from '@gatehouse/mysql-protocol';

/** A packet header (3-byte length, 1-byte sequence id) and the SSLRequest's fixed 32 bytes. */
const HEADER_LENGTH = 4;
const SSL_REQUEST_PAYLOAD = 32;

export interface TlsRelayOptions {
  readonly upstreamHost: string;
  readonly upstreamPort: number;
  /** What the relay presents to clients (PEM). */
  readonly serverCert: string;
  readonly serverKey: string;
  /** The CA that must have signed client certificates (PEM): a gateway checks them, so the relay does too. */
  readonly clientCa: string;
  /** The CA of the database's certificate, and the client cert and key the relay logs in with (PEM). */
  readonly upstreamCa: string;
  readonly upstreamCert: string;
  readonly upstreamKey: string;
}

/** What the first client packet turned out to be. */
export type FirstPacket =
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'ssl-request'; readonly packet: Buffer; readonly rest: Buffer }
  | { readonly kind: 'not-ssl'; readonly sequenceId: number };

/**
 * Looks for the SSLRequest at the start of what the client has sent so far. It is decided from
 * the header alone whenever the payload length is not 32: anything else (a HandshakeResponse41
 * without TLS) is refused, so nothing is buffered beyond 36 bytes plus one chunk.
 */
export function readFirstPacket(received: Buffer): FirstPacket {
  if (received.length < HEADER_LENGTH) return { kind: 'incomplete' };
  const length = received.readUIntLE(0, 3);
  const sequenceId = received[3]!;
  if (length !== SSL_REQUEST_PAYLOAD) return { kind: 'not-ssl', sequenceId };
  const end = HEADER_LENGTH + SSL_REQUEST_PAYLOAD;
  if (received.length < end) return { kind: 'incomplete' };
  const capabilities = received.readUInt32LE(HEADER_LENGTH);
  if (!hasCapability(capabilities, Capability.Ssl) || !hasCapability(capabilities, Capability.Protocol41)) {
    return { kind: 'not-ssl', sequenceId };
  }
  return { kind: 'ssl-request', packet: received.subarray(0, end), rest: received.subarray(end) };
}

/** ERR 3159 for a client that did not ask for TLS, as the packet after the one it sent. */
export function serializeInsecureTransportErr(sequenceId: number): Buffer {
  const err = serializeErrPacket(
    {
      ...ServerError.SecureTransportRequired,
      message: 'this relay needs TLS: connect with --ssl and a client certificate',
    },
    Capability.Protocol41,
  );
  return serializePacket(err, (sequenceId + 1) & 0xff);
}

/**
 * Whether the client's certificate was signed by `ca` and is in its validity period. A server-side
 * TLSSocket made by hand (not by a tls.Server) requests the certificate but does not reject a
 * bad one, so the relay checks it once the handshake is done, before any byte is relayed.
 */
export function isClientCertValid(peer: X509Certificate | undefined, ca: X509Certificate, now = new Date()): boolean {
  if (!peer) return false;
  return (
    peer.checkIssued(ca) &&
    peer.verify(ca.publicKey) &&
    new Date(peer.validFrom) <= now &&
    now <= new Date(peer.validTo)
  );
}

/**
 * One context per leg for every session, as a gateway keeps them: `tls.connect()` given `ca`,
 * `cert` and `key` would build an SSL_CTX per socket, and each socket would keep its own
 * (about 36 KiB; docs/performance.md, "Memory per idle session").
 */
interface RelayContexts {
  readonly server: SecureContext;
  readonly upstream: SecureContext;
  readonly clientCa: X509Certificate;
}

/** Two sockets that end together: either side closing or failing closes both. */
function closeTogether(a: Socket, b: Socket): void {
  const close = (): void => {
    a.destroy();
    b.destroy();
  };
  a.on('error', close).on('close', close);
  b.on('error', close).on('close', close);
}

function upgrade(
  client: Socket,
  upstream: Socket,
  afterRequest: Buffer,
  options: TlsRelayOptions,
  contexts: RelayContexts,
): void {
  // The ClientHello may have come in the same chunk as the SSLRequest: put it back, and the
  // TLS socket reads the socket's buffered bytes before its handle's.
  if (afterRequest.length > 0) client.unshift(afterRequest);
  const secureClient = new TLSSocket(client, {
    isServer: true,
    secureContext: contexts.server,
    requestCert: true,
    rejectUnauthorized: true,
  });
  const secureUpstream = connectTls({
    socket: upstream,
    // The database's certificate names 127.0.0.1 or localhost; an IP address gets no SNI.
    host: options.upstreamHost,
    secureContext: contexts.upstream,
  });
  closeTogether(secureClient, secureUpstream);
  secureClient.once('secure', () => {
    if (!isClientCertValid(secureClient.getPeerX509Certificate(), contexts.clientCa)) secureClient.destroy();
  });
  // pipe() honours write() returning false and resumes on 'drain', both ways.
  secureClient.pipe(secureUpstream);
  secureUpstream.pipe(secureClient);
}

/** A relay server, not yet listening. */
export function createTlsRelayServer(options: TlsRelayOptions): Server {
  const contexts: RelayContexts = {
    server: createSecureContext({
      cert: options.serverCert,
      key: options.serverKey,
      ca: options.clientCa,
      minVersion: 'TLSv1.2',
      // OpenSSL resumes a session that verified its peer only within a named context; without
      // one, a client offering a ticket gets an internal-error alert. (As Gatehouse's proxy.)
      sessionIdContext: 'gatehouse-bench-tls-relay',
    }),
    upstream: createSecureContext({
      ca: options.upstreamCa,
      cert: options.upstreamCert,
      key: options.upstreamKey,
      minVersion: 'TLSv1.2',
    }),
    clientCa: new X509Certificate(options.clientCa),
  };
  return createServer((client) => {
    client.setNoDelay(true);
    const upstream = connectTcp({ host: options.upstreamHost, port: options.upstreamPort, noDelay: true });
    const failBeforeTls = (): void => {
      client.destroy();
      upstream.destroy();
    };
    // A server that refuses the client outright (too many connections, a blocked host) sends
    // one ERR and closes: the client gets it before its own socket ends.
    const upstreamEnded = (): void => {
      client.end();
    };
    client.on('error', failBeforeTls).on('close', failBeforeTls);
    upstream.on('error', failBeforeTls).on('close', upstreamEnded);
    // The greeting (or the ERR that refuses the client) goes through as it is.
    const toClient = (chunk: Buffer): void => {
      client.write(chunk);
    };
    upstream.on('data', toClient);
    let received: Buffer = Buffer.alloc(0);
    const onClientData = (chunk: Buffer): void => {
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      const first = readFirstPacket(received);
      if (first.kind === 'incomplete') return;
      client.off('data', onClientData);
      if (first.kind === 'not-ssl') {
        // The database leg goes quietly, so that closing it does not cut the ERR short.
        upstream.off('close', upstreamEnded).destroy();
        client.end(serializeInsecureTransportErr(first.sequenceId));
        return;
      }
      // From here on both sockets belong to their TLS layers.
      client.pause();
      upstream.off('data', toClient);
      upstream.pause();
      client.off('error', failBeforeTls).off('close', failBeforeTls);
      upstream.off('error', failBeforeTls).off('close', upstreamEnded);
      upstream.write(first.packet);
      upgrade(client, upstream, first.rest, options, contexts);
    };
    client.on('data', onClientData);
  });
}
