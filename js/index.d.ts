// Types for userpilot-heap-bridge: the settings object and the window.UserpilotHeapBridge global.

/** Canonical event names ("Userpilot Experience (started)", ...); `*` matches any run of characters. */
export type EventPattern = string;

export interface UserpilotHeapBridgeSettings {
  /** Where to fetch the Go module; default: next to the loader. */
  wasmUrl?: string;
  /** Where to fetch the worker script (the module's runtime); default: next to the loader. */
  workerUrl?: string;
  /** Where the Go module runs: a Web Worker where the page allows one ("auto", the default), always a Worker, or the main thread. */
  thread?: 'auto' | 'worker' | 'main';
  /** Log each received and forwarded event to the console. */
  debug?: boolean;
  /** Undocumented Userpilot `on` event names to forward as "Userpilot Event (<name>)". */
  extraEvents?: string[];
  /** Allow and deny lists of canonical event names. */
  events?: { allow?: EventPattern[]; deny?: EventPattern[] };
  /** Canonical event name to the name Heap receives. */
  rename?: Record<string, string>;
  /** Property names to drop, and names whose values are sent as "***". */
  properties?: { drop?: string[]; mask?: string[] };
  /** Properties of userpilot.identify to send with heap.addUserProperties (none by default). */
  userProperties?: string[];
  /** "sync" (default) or "off": never call heap.identify or heap.resetIdentity. */
  identity?: 'sync' | 'off';
  /** "granted" (default), "pending" (hold, forward on grant) or "denied" (drop and count). */
  consent?: ConsentState;
  /** When to fetch the module: "eager" (default), "idle", or "first-event". */
  load?: 'eager' | 'idle' | 'first-event';
  /** Keep the calls made, for history(). Also on with ?userpilot-heap-bridge-record in the URL. */
  record?: boolean;
  /** Write events not yet delivered to storage when the page is hidden, for a later page of the origin to deliver (default true). */
  persist?: boolean;
  /** The edge relay's endpoint (https URL or same-origin path) for events when Heap's SDK is blocked. */
  relayUrl?: string;
  /** Milliseconds from the loader's start that Heap's SDK gets to load before events go to the relay. Default 3000. */
  relayAfter?: number;
  /** Hex HMAC-SHA256 of the user's identity, for a relay configured with IDENTITY_SECRET. */
  relaySignature?: string;
  /** Heap to Userpilot: the page's own heap.track (and heap.addUserProperties) calls mirrored to Userpilot. */
  toUserpilot?: {
    /** Names of heap.track calls to mirror; `*` matches any run of characters, ["*"] mirrors every name. */
    events?: string[];
    /** Put in front of the name in Userpilot. */
    prefix?: string;
    /** Mirror heap.addUserProperties(p) as userpilot.identify(<Userpilot's user>, {heap_<key>: value}). */
    userProperties?: boolean;
  };
}

export type ConsentState = 'granted' | 'pending' | 'denied';

export interface UserpilotHeapBridgeStats {
  received: number;
  forwarded: number;
  dropped: number;
  duplicates: number;
  identifies: number;
  resets: number;
  pending: number;
  /** Forwarded events that went through the edge relay. */
  relayed: number;
  /** Events handed to the relay and not yet settled. */
  relaying: number;
  identityRejected: number;
  truncated: number;
  /** Events written to storage when the page was hidden, for a later page of the origin (docs/leaving-the-page.md). */
  persisted: number;
  /** Events pending when the page was hidden that storage refused (storage_unavailable). */
  unpersisted: number;
  /** Forwarded events an earlier page of the origin stored as it was left. */
  recovered: number;
  dropReasons: Record<string, number>;
  propertyDrops: Record<string, number>;
  events: Record<string, number>;
  interfaceIgnored: Record<string, number>;
  /** Where the module runs, once it does. */
  thread?: 'worker' | 'main';
  /** Why the module could not load, or stopped. */
  failure?: string;
  /** Heap to Userpilot, when toUserpilot is set: received = forwarded + dropped + pending. */
  toUserpilot?: {
    received: number;
    forwarded: number;
    dropped: number;
    pending: number;
    identityMismatch: number;
    dropReasons: Record<string, number>;
    propertyDrops: Record<string, number>;
  };
}

export interface HeapCall {
  method: 'track' | 'identify' | 'resetIdentity' | 'addUserProperties';
  args: unknown[];
  /** performance.now() when the call was made. */
  at: number;
}

export interface UserpilotHeapBridgeApi {
  readonly version: string;
  ready(): Promise<void>;
  stats(): UserpilotHeapBridgeStats;
  configure(settings: UserpilotHeapBridgeSettings): void;
  setConsent(state: ConsentState): void;
  history(): HeapCall[];
  clearHistory(): void;
  whenForwarded(eventName: string, timeoutMs?: number): Promise<void>;
}

declare global {
  interface Window {
    UserpilotHeapBridge: UserpilotHeapBridgeApi;
    userpilotHeapBridgeSettings?: UserpilotHeapBridgeSettings;
  }
}

declare const bridge: UserpilotHeapBridgeApi;
export default bridge;
export declare const version: string;
export declare const ready: UserpilotHeapBridgeApi['ready'];
export declare const stats: UserpilotHeapBridgeApi['stats'];
export declare const configure: UserpilotHeapBridgeApi['configure'];
export declare const setConsent: UserpilotHeapBridgeApi['setConsent'];
export declare const history: UserpilotHeapBridgeApi['history'];
export declare const clearHistory: UserpilotHeapBridgeApi['clearHistory'];
export declare const whenForwarded: UserpilotHeapBridgeApi['whenForwarded'];
