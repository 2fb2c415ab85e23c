#!/usr/bin/env node
import { createGatectl, main } from '../dist/src/index.js';

await main(createGatectl());
