// The relay suite (suite.mjs) on the Go relay with its cases running at once, 8 at a time, beside
// 8 lanes of steady load on the same Worker whose Heap requests fail now and then and are retried:
// one Go instance serves them all, each request with its own context, timers and fetches.
import { relaySuite } from './suite.mjs';

relaySuite({ underLoad: true });
