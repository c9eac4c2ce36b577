// Types of the CommonJS entry (index.cjs in a page, server.cjs in Node): require() returns the
// bridge's API itself, with no default property; the types ride on its namespace.
import type * as Types from './index.js';

declare const bridge: Types.UserpilotHeapBridgeApi;
declare namespace bridge {
  export type UserpilotHeapBridgeSettings = Types.UserpilotHeapBridgeSettings;
  export type UserpilotHeapBridgeApi = Types.UserpilotHeapBridgeApi;
  export type UserpilotHeapBridgeStats = Types.UserpilotHeapBridgeStats;
  export type ConsentState = Types.ConsentState;
  export type EventPattern = Types.EventPattern;
  export type HeapCall = Types.HeapCall;
}
export = bridge;
