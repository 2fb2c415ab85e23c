#!/usr/bin/env node
import { createGatehouse, main } from '../dist/src/index.js';

await main(createGatehouse());
