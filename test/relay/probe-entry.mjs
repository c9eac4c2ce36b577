// The entry module of the serving glue's test Worker (relay/worker/serve/probe), copied to
// build/relay-probe/entry.mjs by `make relay-probe-build`. It serves through relay/worker/serve.mjs as the
// relay's entry does, but hands the glue a ctx of its own per request that reports, to the URL in
// the request's `notify` parameter, when that request's ctx.waitUntil was called and when the
// promise it was given settled: GET notify?event=waitUntil|settled&label=<label>.
import { createServer } from './serve.mjs';

const server = createServer();

export default {
  fetch(request, env, ctx) {
    const url = new URL(request.url);
    const notify = url.searchParams.get('notify');
    if (!notify) return server.fetch(request, env, ctx);
    const label = url.searchParams.get('label') ?? '';
    const tell = (event) => fetch(`${notify}?event=${event}&label=${encodeURIComponent(label)}`).then((r) => r.arrayBuffer());
    const spy = {
      waitUntil(promise) {
        ctx.waitUntil(tell('waitUntil').then(() => promise).then(() => tell('settled')));
      },
      passThroughOnException() { ctx.passThroughOnException(); }
    };
    return server.fetch(request, env, spy);
  }
};
