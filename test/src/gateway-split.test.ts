import { defineGatewaySuite } from './support/gateway-suite.js';

defineGatewaySuite('split');
