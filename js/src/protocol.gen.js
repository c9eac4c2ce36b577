// Written by internal/protocolgen from bridge/protocol.go (make build); do not edit.
// The message protocol's constants the loader needs (docs/protocol.md).

// MESSAGE_VERSION: the first element of every message.
export var MESSAGE_VERSION = 1;
// BOOT_GLOBAL: where the module finds its boot object.
export var BOOT_GLOBAL = 'userpilotHeapBridgeBoot';

// Entry kinds: the first element of an entry.
export var KIND_EVENT = 'event';
export var KIND_IDENTIFY = 'identify';
export var KIND_RESTORE = 'restore';
export var KIND_ANONYMOUS = 'anonymous';
export var KIND_CLEAN = 'clean';
export var KIND_INTERFACE = 'interface';
export var KIND_CONSENT = 'consent';
export var KIND_SETTINGS = 'settings';
export var KIND_RELAYED = 'relayed';
export var KIND_BEACONED = 'beaconed';
export var KIND_HEAP_CALL = 'heapcall';
export var KIND_STUB_CALL = 'stubcall';
export var KIND_OWN_STUB_CALL = 'ownstub';
export var KIND_HEAP_LOADED = 'heaploaded';
export var KIND_USERPILOT_FAILED = 'upfailed';
export var KIND_UNWRAPPED = 'unwrapped';
export var KIND_RECOVERED = 'recovered';
export var KIND_UNRECOVERED = 'unrecovered';
export var KIND_GIVEN = 'given';
export var KIND_PERSISTED = 'persisted';

// Snapshot tags: the first element of a snapshot that is not a string, finite number, boolean or null.
export var SNAP_UNDEFINED = 'u';
export var SNAP_NUMBER = 'n';
export var SNAP_OBJECT = 'o';
export var SNAP_ARRAY = 'a';
export var SNAP_DATE = 'd';
export var SNAP_FUNCTION = 'f';
export var SNAP_SYMBOL = 'y';
export var SNAP_BIGINT = 'g';
export var SNAP_CYCLE = 'c';
export var SNAP_UNREADABLE = 'x';
export var SNAP_TOO_DEEP = 't';

// HeapState bits: what window.heap offers when a message is posted.
export var HEAP_USABLE = 1;
export var HEAP_LOADED = 2;
export var HEAP_IDENTIFY = 4;
export var HEAP_RESET = 8;
export var HEAP_USER_PROPS = 16;
export var HEAP_UNREADABLE = 32;

// Drop reasons the loader counts itself, for events the module never saw.
export var DROP_QUEUE_FULL = 'queue_full';
export var DROP_MODULE_UNAVAILABLE = 'module_unavailable';
export var DROP_INTERNAL_ERROR = 'internal_error';
// UP_IDENTITY_CHANGED: the name of an upfailed entry for a call whose user is no longer Userpilot's.
export var UP_IDENTITY_CHANGED = 'identity_changed';

// EVENTS: the Userpilot `on` events the loader listens to.
export var EVENTS = ['started', 'step', 'completed', 'dismissed'];
// WRAPPED_METHODS: the methods of window.heap the loader wraps for toUserpilot.
export var WRAPPED_METHODS = ['track', 'addUserProperties', 'identify'];
// RECEIVED: entries that are received events: a kind (1), or a kind and a name.
export var RECEIVED = { 'event': 1, 'interface': { 'track': 1 }, 'recovered': 1 };
// MIRRORED: entries that are the page's Heap calls to mirror.
export var MIRRORED = { 'heapcall': { 'track': 1, 'addUserProperties': 1 }, 'stubcall': { 'track': 1, 'addUserProperties': 1 } };
// ZERO_STATS: stats() before the module's first answer.
export var ZERO_STATS = '{"received":0,"forwarded":0,"dropped":0,"duplicates":0,"identifies":0,"resets":0,"pending":0,"relayed":0,"relaying":0,"identityRejected":0,"truncated":0,"persisted":0,"unpersisted":0,"recovered":0,"dropReasons":{},"propertyDrops":{},"events":{},"interfaceIgnored":{}}';
