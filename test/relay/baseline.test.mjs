// The relay suite (suite.mjs) on bench/relay-baseline/worker.mjs, the JavaScript relay bench/relay.mjs
// compares the Go relay with: it must do the same job for the comparison to mean anything.
import { relaySuite } from './suite.mjs';

relaySuite({ baseline: true });
