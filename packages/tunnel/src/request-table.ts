import { GatehouseError } from '@gatehouse/common';
import { TunnelError } from './errors.js';
import { serializeRequest, serializeResponse } from './frame-serializer.js';
import type { FrameWriter } from './frame-writer.js';
import type { RequestResult } from './frames.js';

/** A control request as the handler sees it. Blobs are copies it may keep. */
export interface TunnelRequest {
  readonly method: string;
  readonly body: unknown;
  readonly blobs: readonly Buffer[];
}

export interface TunnelReply {
  readonly body: unknown;
  readonly blobs: readonly Buffer[];
}

/** Answers a request; throwing a GatehouseError sends its code back to the requester. */
export type RequestHandler = (
  request: TunnelRequest,
) => Promise<Partial<TunnelReply> | undefined> | Partial<TunnelReply> | undefined;

export interface RequestTable {
  handle(method: string, handler: RequestHandler): void;
  request(method: string, body: unknown, blobs?: readonly Uint8Array[], timeout?: number): Promise<TunnelReply>;
  serve(requestId: number, method: string, body: unknown, blobs: readonly Buffer[]): void;
  settle(requestId: number, result: RequestResult): void;
  failAll(err: Error): void;
}

interface Pending {
  readonly resolve: (reply: TunnelReply) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * Request/response over the tunnel (REQUEST and RESPONSE frames). Each side numbers its own
 * requests; a RESPONSE always answers the other side's REQUEST, so the two spaces never mix.
 */
export function createRequestTable(writer: FrameWriter, defaultTimeout: number): RequestTable {
  const handlers = new Map<string, RequestHandler>();
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let failed: Error | undefined;

  function respond(requestId: number, result: RequestResult): void {
    writer.writeRaw(serializeResponse(requestId, result));
  }

  async function run(requestId: number, handler: RequestHandler, request: TunnelRequest): Promise<void> {
    try {
      const reply = await handler(request);
      respond(requestId, { ok: true, body: reply?.body ?? null, blobs: reply?.blobs ?? [] });
    } catch (err) {
      const code = err instanceof GatehouseError ? err.code : 'GH_ERR_INTERNAL';
      const message = err instanceof GatehouseError ? err.message : 'request handler failed';
      respond(requestId, { ok: false, error: { code, message } });
    }
  }

  return {
    handle(method, handler) {
      handlers.set(method, handler);
    },

    request(method, body, blobs = [], timeout = defaultTimeout) {
      if (failed !== undefined) return Promise.reject(failed);
      const requestId = nextId;
      nextId = nextId === 0xffffffff ? 1 : nextId + 1;
      return new Promise<TunnelReply>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(requestId);
          reject(
            new TunnelError('GH_ERR_TUNNEL_TIMEOUT', `tunnel request '${method}' got no answer within ${timeout} ms`),
          );
        }, timeout);
        pending.set(requestId, { resolve, reject, timer });
        writer.writeRaw(serializeRequest(requestId, method, body, blobs));
      });
    },

    serve(requestId, method, body, blobs) {
      const handler = handlers.get(method);
      if (handler === undefined) {
        respond(requestId, {
          ok: false,
          error: { code: 'GH_ERR_TUNNEL_REQUEST_FAILED', message: `no handler for tunnel request '${method}'` },
        });
        return;
      }
      void run(requestId, handler, { method, body, blobs: blobs.map((blob) => Buffer.from(blob)) });
    },

    settle(requestId, result) {
      const entry = pending.get(requestId);
      if (entry === undefined) return; // answered after its timeout
      pending.delete(requestId);
      clearTimeout(entry.timer);
      if (result.ok) entry.resolve({ body: result.body, blobs: result.blobs.map((blob) => Buffer.from(blob)) });
      else {
        entry.reject(
          new TunnelError(
            'GH_ERR_TUNNEL_REQUEST_FAILED',
            `tunnel request failed on the peer: ${result.error.message}`,
            {
              remoteCode: result.error.code,
            },
          ),
        );
      }
    },

    failAll(err) {
      failed = err;
      for (const entry of pending.values()) {
        clearTimeout(entry.timer);
        entry.reject(err);
      }
      pending.clear();
    },
  };
}
