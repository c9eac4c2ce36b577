// Every canonical group (docs/events.md), by the road Userpilot uses for it, with Userpilot's native
// Heap integration on: experiences by both roads (exactly once), checklists, NPS, forms, surveys and
// other names through the bridge's Heap interface, extraEvents through userpilot.on. Each group runs
// once with the classic Heap snippet (SDK loaded) and once with the heap.js 5 snippet whose SDK is
// held back until after the events (delivered by the snippet's replay).
import assert from 'node:assert/strict';
import {
  test, useBrowser, waitForBridge, waitForUserpilot, waitForHeap, waitForReceived, settle, finalCalls,
  heapViolations, bridgeStats, assertNoPageErrors, assertIdle,
} from './harness.mjs';
import { document, userpilotSnippet, heapSnippet, bridgeTag, identify } from './pages.mjs';
import * as heap from './expect.mjs';

const h = useBrowser();

const U = 'alice';
const FEEDBACK = 'Great product, but the export could be faster. '.repeat(110).slice(0, 5000);

// Each group: steps run in separate page tasks (one page.evaluate each, like separate user actions),
// the exact Heap calls expected after identify('alice'), and the counters that must follow.
const GROUPS = [
  {
    name: 'experience by both roads (userpilot.on and the native integration)',
    steps: [
      () => userpilotStandIn.startFlow(7, 'tok7', 2),
      () => userpilotStandIn.nextStep(),
      () => userpilotStandIn.nextStep(),
    ],
    tracks: [
      heap.started(7, 'tok7', U), heap.step(7, 'tok7', 1, 2, U),
      heap.step(7, 'tok7', 2, 2, U), heap.completed(7, 'tok7', U),
    ],
    duplicates: 4,
  },
  {
    name: 'checklist started, task completed, completed, dismissed',
    steps: [
      () => userpilotStandIn.checklist('started', { id: 'cl-1', checklistName: 'Onboarding' }),
      () => userpilotStandIn.checklist('task completed', { checklistId: 'cl-1', checklist_title: 'Onboarding', taskId: 't-2', title: 'Invite a teammate' }),
      () => userpilotStandIn.checklist('completed', { checklist_id: 'cl-1', checklistTitle: 'Onboarding', progress: 100 }),
      () => userpilotStandIn.checklist('dismissed', { id: 'cl-2', checklist_name: 'Advanced setup', task_id: 9, task_title: 'Connect Slack' }),
    ],
    tracks: [
      heap.track('Userpilot Checklist (started)', { checklist_id: 'cl-1', checklist_title: 'Onboarding' }, U),
      heap.track('Userpilot Checklist (task completed)', { checklist_id: 'cl-1', checklist_title: 'Onboarding', task_id: 't-2', task_title: 'Invite a teammate' }, U),
      heap.track('Userpilot Checklist (completed)', { checklist_id: 'cl-1', checklist_title: 'Onboarding', progress: 100 }, U),
      heap.track('Userpilot Checklist (dismissed)', { checklist_id: 'cl-2', checklist_title: 'Advanced setup', task_id: 9, task_title: 'Connect Slack' }, U),
    ],
  },
  {
    name: 'NPS ask later, score (9, "8", 11), feedback of 5,000 characters',
    steps: [
      () => userpilotStandIn.nps('ask later', { id: 'nps-1' }),
      () => userpilotStandIn.nps('score', { id: 'nps-1', score: 9 }),
      () => userpilotStandIn.nps('score', { npsId: 'nps-1', score: '8' }),
      () => userpilotStandIn.nps('score', { survey_id: 'nps-1', rating: 11 }),
      (fb) => userpilotStandIn.nps('feedback', { id: 'nps-1', score: 9, feedback: fb }),
    ],
    arg: FEEDBACK,
    tracks: [
      heap.track('Userpilot NPS (ask later)', { nps_id: 'nps-1' }, U),
      heap.track('Userpilot NPS (score)', { nps_id: 'nps-1', score: 9 }, U),
      heap.track('Userpilot NPS (score)', { nps_id: 'nps-1', score: 8 }, U),
      heap.track('Userpilot NPS (score)', { nps_id: 'nps-1' }, U),
      heap.track('Userpilot NPS (feedback)', { nps_id: 'nps-1', score: 9, feedback: FEEDBACK.slice(0, 1023) }, U),
    ],
    propertyDrops: { invalid_score: 1 },
    truncated: 1,
  },
  {
    name: 'form submission with an answers array',
    steps: [
      () => userpilotStandIn.form({
        id: 'f-1', title: 'Feedback form',
        answers: [{ question_id: 'q1', answer: 'Yes' }, { questionId: 'q2', value: 5 }, { id: 'q3', response: ['a', 'b'] }],
      }),
      () => userpilotStandIn.nativeTrack('Userpilot Form (submitted)', { formId: 'f-2', name: 'Sign-up', responses: { plan: 'pro' }, page: '/signup' }),
    ],
    tracks: [
      heap.track('Userpilot Form (submitted)', {
        form_id: 'f-1', form_title: 'Feedback form', 'answer.q1': 'Yes', 'answer.q2': 5, 'answer.q3': 'a||b', question_ids: 'q1||q2||q3',
      }, U),
      heap.track('Userpilot Form (submitted)', { form_id: 'f-2', form_title: 'Sign-up', 'answer.plan': 'pro', question_ids: 'plan', page: '/signup' }, U),
    ],
  },
  {
    name: 'survey submission with an answers object',
    steps: [
      () => userpilotStandIn.survey({ surveyId: 's-1', name: 'Pricing survey', answers: { q1: 'Too high', q2: 3 }, locale: 'en' }),
      () => userpilotStandIn.nativeTrack('Survey Responses', { survey_id: 's-2', title: 'Churn', questions: [{ key: 'why', text: 'Price' }] }),
    ],
    tracks: [
      heap.track('Userpilot Survey (submitted)', {
        survey_id: 's-1', survey_title: 'Pricing survey', 'answer.q1': 'Too high', 'answer.q2': 3, question_ids: 'q1||q2', locale: 'en',
      }, U),
      heap.track('Userpilot Survey (submitted)', { survey_id: 's-2', survey_title: 'Churn', 'answer.why': 'Price', question_ids: 'why' }, U),
    ],
  },
  {
    name: 'other names are kept verbatim',
    steps: [
      () => userpilotStandIn.nativeTrack('Userpilot Banner (shown)', { id: 'b-1', placement: 'top' }),
      () => userpilotStandIn.nativeTrack('Resource Center Opened', { section: 'help', meta: { tab: 'faq' }, tags: ['x', 'y'] }),
    ],
    tracks: [
      heap.track('Userpilot Banner (shown)', { id: 'b-1', placement: 'top' }, U),
      heap.track('Resource Center Opened', { section: 'help', 'meta.tab': 'faq', tags: 'x||y' }, U),
    ],
  },
  {
    name: 'an extraEvents name by userpilot.on',
    steps: [
      () => userpilotStandIn.emit('checklist_completed', { checklistId: 'cl-1', title: 'Onboarding', tasks: ['a', 'b'], done: true }),
      () => userpilotStandIn.emit('checklist_completed', 'cl-9'),
    ],
    tracks: [
      heap.track('Userpilot Event (checklist_completed)', { checklistId: 'cl-1', title: 'Onboarding', tasks: 'a||b', done: true }, U),
      heap.track('Userpilot Event (checklist_completed)', { value: 'cl-9' }, U),
    ],
  },
];

// The CDN snippet with the native integration toggled on, the page handing Userpilot window.heap.
function groupPage(kind) {
  return document(
    bridgeTag({ settings: { extraEvents: ['checklist_completed'] }, async: false }),
    heapSnippet(kind),
    userpilotSnippet({ host: false, settings: { standInNativeHeap: true }, heapInterface: 'window.heap' }),
    identify(U),
  );
}

function eventCounts(tracks) {
  const out = {};
  for (const t of tracks) out[t.args[0]] = (out[t.args[0]] || 0) + 1;
  return out;
}

for (const kind of ['classic', 'v5']) {
  const gated = kind === 'v5';
  for (const g of GROUPS) {
    test(`${g.name} (${kind} Heap snippet${gated ? ', SDK held back' : ''})`, async () => {
      const s = await h.open(groupPage(kind), { hold: gated ? ['heap'] : [] });
      const { page } = s;
      await waitForBridge(page);
      await waitForUserpilot(page);
      if (!gated) await waitForHeap(page);
      for (const step of g.steps) await page.evaluate(step, g.arg);
      const duplicates = g.duplicates || 0;
      await waitForReceived(page, g.tracks.length + duplicates);
      const expected = [heap.identify(U), ...g.tracks];

      if (gated) {
        await settle(page);
        assert.equal(await page.evaluate(() => window.heapStandIn), undefined, 'Heap SDK still held back');
        assert.equal(await page.evaluate(() => window.heapReadyCb.length), expected.length, 'calls wait in the heap.js 5 queue');
        s.release('heap');
        await waitForHeap(page);
      }
      assert.deepStrictEqual(await finalCalls(page, expected.length), expected);
      if (gated) assert.equal(await page.evaluate(() => heapStandIn.replayed), expected.length, 'delivered through the replay');
      assert.deepStrictEqual(await heapViolations(page), []);
      await assertNoPageErrors(s);

      const st = await assertIdle(page);
      assert.equal(st.received, g.tracks.length + duplicates, JSON.stringify(st));
      assert.equal(st.forwarded, g.tracks.length);
      assert.equal(st.duplicates, duplicates);
      assert.equal(st.dropped, 0);
      assert.equal(st.identifies, 1);
      assert.deepStrictEqual(st.events, eventCounts(g.tracks));
      assert.deepStrictEqual(st.propertyDrops, g.propertyDrops || {});
      assert.equal(st.truncated, g.truncated || 0);
      assert.deepStrictEqual(st.interfaceIgnored, {});
      assert.deepStrictEqual(await bridgeStats(page), st, 'idle: counters do not move');
    });
  }
}
