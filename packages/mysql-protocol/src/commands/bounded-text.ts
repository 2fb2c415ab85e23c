// Decoding client text without letting its size decide how much the engine allocates.

/** Where to cut `buf[start, end)` to at most `cap` bytes without splitting a UTF-8 sequence. */
export function findUtf8Cut(buf: Buffer, start: number, end: number, cap: number): number {
  if (end - start <= cap) return end;
  let cut = start + cap;
  // Back off over continuation bytes (10xxxxxx) so the prefix ends on a character boundary;
  // a UTF-8 character is at most 4 bytes, so at most 3 steps.
  for (let i = 0; i < 3 && cut > start && (buf[cut]! & 0xc0) === 0x80; i++) cut--;
  return cut;
}

/** UTF-8 text of `buf[start, end)`, at most `cap` bytes of it. */
export function decodeBoundedText(buf: Buffer, start: number, end: number, cap: number): string {
  return buf.toString('utf8', start, findUtf8Cut(buf, start, end, cap));
}
