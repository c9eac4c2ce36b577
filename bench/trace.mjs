// Reads a Chrome trace (browser.startTracing) for the page's main thread: the longest task between
// two marks, and the main thread's total task time (wall and CPU) there. Work in a Worker runs on another thread
// and other renderers (Chromium's own pages) in other processes; neither is counted.
export const TRACE_CATEGORIES = ['disabled-by-default-devtools.timeline', 'devtools.timeline', 'blink.user_timing'];

export function mainThreadTasks(buffer, fromMark, toMark) {
  const parsed = JSON.parse(buffer.toString());
  const events = parsed.traceEvents || parsed;
  const threads = new Map();
  for (const e of events) if (e.ph === 'M' && e.name === 'thread_name') threads.set(`${e.pid}:${e.tid}`, e.args.name);
  const isMain = (e) => threads.get(`${e.pid}:${e.tid}`) === 'CrRendererMain';
  // The page's renderer is the one that made the end mark (performance.mark in the page).
  const end = events.filter((e) => e.name === toMark && isMain(e)).pop();
  if (!end) throw new Error(`the trace has no mark "${toMark}" on a renderer's main thread`);
  const onPage = (e) => e.pid === end.pid && e.tid === end.tid;
  const start = events.filter((e) => e.name === fromMark && onPage(e) && e.ts <= end.ts).pop();
  if (!start) throw new Error(`the trace has no mark "${fromMark}" before "${toMark}" on the page's main thread`);
  // A task counts if it overlaps [start, end]; nested tasks count once, inside their outer task.
  const tasks = events.filter((e) => e.name === 'RunTask' && e.ph === 'X' && onPage(e) && e.ts < end.ts && e.ts + e.dur > start.ts);
  const outer = tasks.filter((t) => !tasks.some((o) => o !== t && o.ts <= t.ts && o.ts + o.dur >= t.ts + t.dur));
  return {
    longestMs: outer.reduce((m, e) => Math.max(m, e.dur / 1000), 0),
    totalMs: outer.reduce((sum, e) => sum + e.dur / 1000, 0),
    // The thread's CPU time in those tasks: on a shared machine a task's wall time also holds the
    // time the thread waited for a core.
    cpuMs: outer.reduce((sum, e) => sum + (e.tdur || 0) / 1000, 0),
    tasks: outer.length,
    windowMs: (end.ts - start.ts) / 1000,
  };
}
