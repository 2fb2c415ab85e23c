import { createSeededRandom } from '@gatehouse/testing';

/** The test kit's seeded PRNG as a bare function, so fuzz failures replay from their seed. */
export function createPrng(seed: number): () => number {
  return createSeededRandom(seed).next;
}
