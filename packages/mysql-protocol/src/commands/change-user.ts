// COM_CHANGE_USER. The gateway refuses it by policy (ERR 1047) but audits who was asked for,
// so it is parsed leniently: whatever fields are readable are kept, and a malformed packet is
// flagged rather than thrown. The auth response is a secret and never leaves this record.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_change_user.html

import { BufferWriter, Capability, Command, hasCapability } from '../wire/index.js';
import type { ChangeUserCommand } from './command-types.js';
import type { ParseContext } from './parse-context.js';
import { ValueCursor } from './value-cursor.js';

const EMPTY: Buffer = Buffer.alloc(0);

/** A NUL-terminated string, or the rest when the NUL is missing (then `terminated` is false). */
function nulText(cur: ValueCursor, max: number): { text: string; terminated: boolean } {
  const at = cur.buf.indexOf(0, cur.pos);
  const end = at < 0 ? cur.buf.length : at;
  const text = cur.buf.toString('utf8', cur.pos, Math.min(end, cur.pos + max));
  cur.pos = at < 0 ? end : end + 1;
  return { text, terminated: at >= 0 };
}

/** Connection attributes: a length-encoded block of length-encoded key/value pairs. */
function readAttributes(cur: ValueCursor, ctx: ParseContext): { attributes: [string, string][]; ok: boolean } {
  const attributes: [string, string][] = [];
  const total = cur.remaining > 0 ? lenenc(cur) : -1;
  if (total < 0 || total > cur.remaining) return { attributes, ok: false };
  const end = cur.pos + total;
  const max = ctx.limits.maxValueBytes;
  while (cur.pos < end) {
    const keyLength = lenenc(cur);
    if (keyLength < 0 || cur.pos + keyLength > end) return { attributes, ok: false };
    const key = cur.buf.toString('utf8', cur.pos, cur.pos + Math.min(keyLength, max));
    cur.pos += keyLength;
    const valueLength = cur.pos < end ? lenenc(cur) : -1;
    if (valueLength < 0 || cur.pos + valueLength > end) return { attributes, ok: false };
    const value = cur.buf.toString('utf8', cur.pos, cur.pos + Math.min(valueLength, max));
    cur.pos += valueLength;
    if (attributes.length < ctx.limits.maxParams) attributes.push([key, value]);
  }
  return { attributes, ok: true };
}

/** A length-encoded integer, or -1 when it is invalid or cut short (never throws). */
function lenenc(cur: ValueCursor): number {
  const first = cur.buf[cur.pos];
  if (first === undefined) return -1;
  const size = first < 0xfb ? 0 : first === 0xfc ? 2 : first === 0xfd ? 3 : first === 0xfe ? 8 : -1;
  if (size < 0 || cur.remaining < 1 + size) return -1;
  cur.pos += 1;
  if (size === 0) return first;
  const at = cur.pos;
  cur.pos += size;
  if (size === 8) return cur.buf.readUInt32LE(at) + cur.buf.readUInt32LE(at + 4) * 0x1_0000_0000;
  return cur.buf.readUIntLE(at, size);
}

export function parseChangeUser(payload: Buffer, ctx: ParseContext): ChangeUserCommand {
  const cur = new ValueCursor(payload, 1, true);
  const max = ctx.limits.maxTextBytes;
  const user = nulText(cur, max);
  let malformed = !user.terminated;
  let authResponse: Buffer;
  if (hasCapability(ctx.capabilities, Capability.SecureConnection)) {
    const length = cur.remaining > 0 ? cur.u8() : 0;
    malformed ||= length > cur.remaining;
    authResponse = payload.subarray(cur.pos, Math.min(cur.pos + length, payload.length));
    cur.pos += authResponse.length;
  } else {
    const at = payload.indexOf(0, cur.pos);
    malformed ||= at < 0;
    authResponse = payload.subarray(cur.pos, at < 0 ? payload.length : at);
    cur.pos = at < 0 ? payload.length : at + 1;
  }
  const schema = cur.remaining > 0 ? nulText(cur, max) : { text: '', terminated: false };
  malformed ||= !schema.terminated;
  let characterSet: number | undefined;
  let authPlugin: string | undefined;
  let attributes: [string, string][] | undefined;
  // Everything after the schema is optional: old clients stop there.
  if (cur.remaining >= 2) {
    characterSet = cur.u16();
    if (hasCapability(ctx.capabilities, Capability.PluginAuth) && cur.remaining > 0) {
      const plugin = nulText(cur, max);
      authPlugin = plugin.text;
      malformed ||= !plugin.terminated;
    }
    if (hasCapability(ctx.capabilities, Capability.ConnectAttrs) && cur.remaining > 0) {
      const read = readAttributes(cur, ctx);
      attributes = read.attributes;
      malformed ||= !read.ok;
    }
  } else if (cur.remaining === 1) {
    malformed = true;
  }
  return {
    kind: 'change_user',
    bytes: payload,
    user: user.text,
    authResponse,
    schema: schema.text,
    characterSet,
    authPlugin,
    attributes,
    malformed,
  };
}

export interface ChangeUserInit {
  readonly user: string;
  readonly authResponse?: Uint8Array;
  readonly schema?: string;
  readonly characterSet?: number;
  readonly authPlugin?: string;
  readonly attributes?: ReadonlyArray<readonly [string, string]>;
}

/** Writes the fields the capabilities call for; needs CLIENT_SECURE_CONNECTION for binary auth data. */
export function serializeChangeUser(init: ChangeUserInit, options: { readonly capabilities: number }): Buffer {
  const caps = options.capabilities;
  const w = new BufferWriter(128).u8(Command.ChangeUser).nulString(init.user);
  const auth = init.authResponse ?? EMPTY;
  if (hasCapability(caps, Capability.SecureConnection)) w.u8(auth.length).bytes(auth);
  else w.nulBytes(auth);
  w.nulString(init.schema ?? '');
  if (init.characterSet === undefined) return w.flush();
  w.u16(init.characterSet);
  if (hasCapability(caps, Capability.PluginAuth)) w.nulString(init.authPlugin ?? '');
  if (hasCapability(caps, Capability.ConnectAttrs) && init.attributes !== undefined) {
    const block = new BufferWriter(128);
    for (const [key, value] of init.attributes) block.lenencString(key).lenencString(value);
    w.lenencBytes(block.flush());
  }
  return w.flush();
}
