// Routing a session to an engine: every engine that serves the db service, healthy first and at
// random among equals (EngineRegistry.pickEngines), trying the next when one cannot take it.

import { isGatehouseError } from '@gatehouse/common';
import { type StreamOpenHeader, TunnelError, type TunnelStream } from '@gatehouse/tunnel';
import type { Logger } from 'pino';
import { FrontDoorErrno, FrontDoorError } from '../front-door/front-door-error.js';
import {
  drainingText,
  type EngineRegistry,
  type NoEngineError as NoEngineErrorType,
} from '../tunnel/engine-registry.js';

/** The remote code an engine rejects a stream with when it does not serve the database (any more). */
export const ENGINE_NO_SUCH_DATABASE = 'GH_ERR_ENGINE_NO_SUCH_DATABASE';

export interface RoutedStream {
  readonly stream: TunnelStream;
  readonly engineId: string;
}

export interface SessionRouter {
  /**
   * Opens a stream to an engine serving `header.route.dbService`, or throws FrontDoorError;
   * `exclude`: an engine not to try (the one a migrating session leaves).
   */
  open(header: StreamOpenHeader, log: Logger, exclude?: string): Promise<RoutedStream>;
}

export interface EngineRouterOptions {
  readonly registry: Pick<EngineRegistry, 'pickEngines'>;
  /** Bound on each engine's answer to OPEN (default: the tunnel's). */
  readonly openTimeoutMs?: number;
}

function noEngine(dbService: string, detail: string | undefined, cause?: unknown): FrontDoorError {
  const message =
    detail === undefined
      ? `no engine serves database '${dbService}'`
      : `no engine serves database '${dbService}' right now: ${detail}`;
  return new FrontDoorError(
    'GH_ERR_NO_ENGINE',
    message,
    FrontDoorErrno.NoBackend,
    cause === undefined ? { reason: 'no_engine' } : { reason: 'no_engine', cause },
  );
}

export function createEngineRouter(options: EngineRouterOptions): SessionRouter {
  const openOptions = options.openTimeoutMs === undefined ? {} : { timeout: options.openTimeoutMs };
  return {
    async open(header, log, exclude) {
      const dbService = header.route.dbService;
      let candidates: ReturnType<EngineRegistry['pickEngines']>;
      try {
        candidates = options.registry.pickEngines(dbService);
      } catch (err) {
        if (isGatehouseError(err, 'GH_ERR_NO_ENGINE')) {
          const { draining } = err as NoEngineErrorType;
          throw noEngine(dbService, draining.length > 0 ? drainingText(draining) : undefined, err);
        }
        throw err;
      }
      let lastError: unknown;
      let allSaidNoSuchDatabase = true;
      for (const { engine } of candidates) {
        if (engine.engineId === exclude) continue;
        try {
          const stream = await engine.connection.openStream(header, openOptions);
          return { stream, engineId: engine.engineId };
        } catch (err) {
          lastError = err;
          const saidNoSuchDb = err instanceof TunnelError && err.remoteCode === ENGINE_NO_SUCH_DATABASE;
          if (!saidNoSuchDb) allSaidNoSuchDatabase = false;
          log.warn({ err, engineId: engine.engineId, dbService }, 'engine did not take the session; trying the next');
        }
      }
      const detail = allSaidNoSuchDatabase
        ? undefined
        : `the last engine tried failed: ${(lastError as Error).message}`;
      throw noEngine(dbService, detail, lastError);
    },
  };
}
