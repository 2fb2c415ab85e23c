// Not yet run by npm test (no .test.ts suffix): the suite is written but has not passed yet; see the closing note of the session that added it.
import { defineGatewaySuite } from './support/gateway-suite.js';

defineGatewaySuite('split');
