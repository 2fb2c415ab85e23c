// One way to read an engine's control request body: a body that does not fit its schema is a
// tunnel protocol error naming the method and the first field that is wrong.
import { GatehouseError } from '@gatehouse/common';
import type { z } from 'zod';

export function parseRequestBody<T>(schema: z.ZodType<T>, body: unknown, method: string): T {
  const result = schema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new GatehouseError(
      'GH_ERR_TUNNEL_PROTOCOL',
      `invalid ${method} request: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'bad value'}`,
    );
  }
  return result.data;
}
