// The relay suite (suite.mjs) on the Go relay: relay/worker in workerd, built by `make relay-build`.
import { relaySuite } from './suite.mjs';

relaySuite();
