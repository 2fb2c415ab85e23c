import type { StreamOpenHeader } from '../src/index.js';

export const sampleHeader: StreamOpenHeader = {
  sessionId: 'sess-1',
  clientAddress: { host: '192.0.2.7', port: 51234 },
  route: { dbService: 'orders', dbUser: 'app_ro', dbName: 'shop' },
  capabilities: 0xa2bf_f7ff,
  mariadbCapabilities: 0x1d,
  connectionAttributes: { _client_name: 'libmariadb', program_name: 'mariadb' },
  extensions: { charset: 45 },
  clientCertChain: [Buffer.from([0x30, 0x82, 0x01, 0x00, 0xff]), Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00])],
};
