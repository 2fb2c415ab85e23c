// Seeded fuzzing of the decoders with fast-check. Each decoder must decode or throw its own
// protocol error: any other exception (a RangeError from a Buffer read, a TypeError) is a bug,
// and a hang fails the test by its timeout. `npm test` runs a few thousand cases per decoder with
// a fixed seed; `npm run fuzz` sets GATEHOUSE_FUZZ_RUNS (default 1,000,000) and a fresh seed.
// A failing case prints its seed, path (to replay with GATEHOUSE_FUZZ_SEED) and its bytes.
import fc from 'fast-check';

/** Cases per decoder: GATEHOUSE_FUZZ_RUNS, else 3000. */
export const FUZZ_RUNS = Number(process.env.GATEHOUSE_FUZZ_RUNS ?? 3000);
/** The seed: GATEHOUSE_FUZZ_SEED, else a fixed one so `npm test` is repeatable. */
export const FUZZ_SEED = Number(process.env.GATEHOUSE_FUZZ_SEED ?? 20261207);

type ErrorClass = abstract new (...args: never[]) => Error;

/** Bytes as hex, for a failure message a person can paste into a regression test. */
export function hex(value: unknown): string {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (Array.isArray(value)) return `[${value.map(hex).join(', ')}]`;
  return JSON.stringify(value) ?? String(value);
}

/**
 * Runs `decode` on every generated input; it may return anything or throw an instance of one of
 * `allowed`. Anything else fails with the seed, the replay path and the input's bytes.
 */
export function fuzzDecoder<T>(
  arbitrary: fc.Arbitrary<T>,
  decode: (input: T) => unknown,
  allowed: readonly ErrorClass[],
): void {
  const property = fc.property(arbitrary, (input) => {
    try {
      decode(input);
    } catch (err) {
      if (allowed.some((cls) => err instanceof cls)) return;
      const e = err as Error;
      throw new Error(`${e?.constructor?.name ?? typeof err}: ${e?.message}\n  input (hex): ${hex(input)}`, {
        cause: err,
      });
    }
  });
  const details = fc.check(property, { seed: FUZZ_SEED, numRuns: FUZZ_RUNS });
  if (details.failed) {
    throw new Error(
      `fuzz failure (seed ${details.seed}, path ${JSON.stringify(details.counterexamplePath)}, replay with GATEHOUSE_FUZZ_SEED=${details.seed}):\n` +
        `  input (hex): ${hex(details.counterexample?.[0])}\n  ${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}`,
    );
  }
}

/** Random bytes, biased to short, plus mutations of valid samples, which reach deeper code. */
export function bytesNear(samples: readonly Buffer[], maxLength = 512): fc.Arbitrary<Buffer> {
  const random = fc.uint8Array({ maxLength }).map((a) => Buffer.from(a));
  if (samples.length === 0) return random;
  const mutated = fc
    .tuple(
      fc.constantFrom(...samples),
      fc.array(
        fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'insert', 'delete', 'truncate')),
        {
          maxLength: 6,
        },
      ),
    )
    .map(([sample, edits]) => {
      let bytes = Array.from(sample);
      for (const [at, value, op] of edits) {
        const i = bytes.length === 0 ? 0 : at % (bytes.length + (op === 'insert' ? 1 : 0));
        if (op === 'set' && bytes.length > 0) bytes[i] = value;
        else if (op === 'insert') bytes.splice(i, 0, value);
        else if (op === 'delete') bytes.splice(i, 1);
        else if (op === 'truncate') bytes = bytes.slice(0, i);
      }
      return Buffer.from(bytes);
    });
  return fc.oneof({ weight: 1, arbitrary: random }, { weight: 3, arbitrary: mutated });
}

/** A byte string cut into chunks at random places, as a socket might deliver it. */
export function chunked(bytes: fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer[]> {
  return fc.tuple(bytes, fc.array(fc.nat(), { maxLength: 5 })).map(([all, cuts]) => {
    const points = [...new Set(cuts.map((c) => (all.length === 0 ? 0 : c % all.length)))].sort((a, b) => a - b);
    const chunks: Buffer[] = [];
    let from = 0;
    for (const p of points) {
      chunks.push(all.subarray(from, p));
      from = p;
    }
    chunks.push(all.subarray(from));
    return chunks;
  });
}
