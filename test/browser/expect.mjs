// Expected Heap calls, in the exact shape the Heap stand-in records them.
export const identify = (id) => ({ method: 'identify', args: [id] });
export const resetIdentity = () => ({ method: 'resetIdentity', args: [] });

function props(base, user) {
  return user === undefined ? base : { ...base, userpilot_user_id: user };
}
export const started = (id, token, user) =>
  ({ method: 'track', args: ['Userpilot Experience (started)', props({ experience_id: id, experience_token: token }, user)] });
export const step = (id, token, n, total, user) =>
  ({ method: 'track', args: ['Userpilot Experience (step)', props({ experience_id: id, experience_token: token, step: n, total_steps: total }, user)] });
export const completed = (id, token, user) =>
  ({ method: 'track', args: ['Userpilot Experience (completed)', props({ experience_id: id, experience_token: token }, user)] });
export const dismissed = (id, token, user) =>
  ({ method: 'track', args: ['Userpilot Experience (dismissed)', props({ experience_id: id, experience_token: token }, user)] });

// flow7 is the standard scenario: flow 7 starts, shows step 1 of 3, completes.
export const flow7 = (user) => [started(7, 'tok7', user), step(7, 'tok7', 1, 3, user), completed(7, 'tok7', user)];
export const runFlow7 = (page) => page.evaluate(() => { userpilotStandIn.startFlow(7, 'tok7', 3); userpilotStandIn.complete(); });

// track is any heap.track call; user, when given, adds userpilot_user_id.
export const track = (name, base, user) => ({ method: 'track', args: [name, props(base, user)] });
export const addUserProperties = (p) => ({ method: 'addUserProperties', args: [p] });
