// The audit web app's files under /web/: the HTML and CSS in packages/proxy/web/static and the
// scripts tsc compiles from packages/proxy/web/src, shipped in the package (no CDN). Only names
// of one path segment and a known extension are served, with a strict CSP: scripts from this
// origin only, no inline script or style, no framing.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const WEB_PREFIX = '/web/';

/** Where the app's files are, relative to this compiled module (dist/src/web/). */
const WEB_ROOT = fileURLToPath(new URL('../../../web/', import.meta.url));
const DIRS = [`${WEB_ROOT}static/`, `${WEB_ROOT}dist/src/`];

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  png: 'image/png',
  svg: 'image/svg+xml',
};

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    .header('cache-control', 'no-cache');
}

async function readFirst(name: string): Promise<Buffer | undefined> {
  for (const dir of DIRS) {
    try {
      return await readFile(`${dir}${name}`);
    } catch {
      // try the next directory
    }
  }
  return undefined;
}

export function registerStaticRoutes(app: FastifyInstance): void {
  app.get('/web', async (_request, reply) => reply.redirect(WEB_PREFIX));
  const serve = async (request: FastifyRequest, reply: FastifyReply) => {
    const name = (request.params as { file?: string }).file || 'index.html';
    const ext = /^[a-z0-9][a-z0-9-]*\.([a-z]+)$/.exec(name)?.[1];
    const type = ext === undefined ? undefined : TYPES[ext];
    const body = type === undefined ? undefined : await readFirst(name);
    if (body === undefined || type === undefined) {
      return secure(reply).code(404).header('content-type', 'text/plain; charset=utf-8').send('not found\n');
    }
    return secure(reply).header('content-type', type).send(body);
  };
  app.get(WEB_PREFIX, serve);
  app.get(`${WEB_PREFIX}:file`, serve);
}
