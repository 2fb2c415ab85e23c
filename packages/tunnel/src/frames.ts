import type { EngineRegistration, StreamOpenHeader, TunnelErrorPayload } from './schemas.js';

// Parsed tunnel frames. Each carries its raw `bytes` (header included); payload fields are views
// into those bytes.

export type TunnelFrame =
  | {
      readonly kind: 'open';
      readonly streamId: number;
      readonly window: number;
      readonly header: StreamOpenHeader;
      readonly bytes: Buffer;
    }
  | { readonly kind: 'open-ack'; readonly streamId: number; readonly window: number; readonly bytes: Buffer }
  | {
      readonly kind: 'open-reject';
      readonly streamId: number;
      readonly error: TunnelErrorPayload;
      readonly bytes: Buffer;
    }
  | { readonly kind: 'data'; readonly streamId: number; readonly payload: Buffer; readonly bytes: Buffer }
  | { readonly kind: 'window'; readonly streamId: number; readonly increment: number; readonly bytes: Buffer }
  | { readonly kind: 'fin'; readonly streamId: number; readonly bytes: Buffer }
  | { readonly kind: 'reset'; readonly streamId: number; readonly error: TunnelErrorPayload; readonly bytes: Buffer }
  | { readonly kind: 'ping' | 'pong'; readonly payload: Buffer; readonly bytes: Buffer }
  | { readonly kind: 'register' | 'update'; readonly registration: EngineRegistration; readonly bytes: Buffer }
  | {
      readonly kind: 'request';
      readonly requestId: number;
      readonly method: string;
      readonly body: unknown;
      readonly blobs: readonly Buffer[];
      readonly bytes: Buffer;
    }
  | { readonly kind: 'response'; readonly requestId: number; readonly result: RequestResult; readonly bytes: Buffer };

export type RequestResult =
  | { readonly ok: true; readonly body: unknown; readonly blobs: readonly Buffer[] }
  | { readonly ok: false; readonly error: TunnelErrorPayload };

export type TunnelFrameKind = TunnelFrame['kind'];
