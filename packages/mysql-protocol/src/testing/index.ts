// Test support for codec tests, here and in the packages above: a fluent packet builder, ways to
// cut a stream into chunks, compressed frames built without our writer, and the one seeded PRNG
// every fuzz test replays from.
export { buildCompressedFrame } from './compressed-frame.js';
export { buildPackets, chunksOf, PacketBuilder, packetBuilder, splitAt, splitsEverywhere } from './packet-builder.js';
export { createSeededRandom, type SeededRandom } from './seeded-random.js';
