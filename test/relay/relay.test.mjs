// The relay suite (suite.mjs) on the Go relay: wasm/edge in workerd, built by `make relay-build`.
import { relaySuite } from './suite.mjs';

relaySuite();
