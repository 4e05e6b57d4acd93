import { Slots } from './slots.js';

describe('Slots', () => {
  it('never hands out more than the capacity', () => {
    const slots = new Slots(3);
    expect(slots.take(5)).toBe(3);
    expect(slots.take(1)).toBe(0);
    expect(slots.inUse).toBe(3);
    slots.release(2);
    expect(slots.available).toBe(2);
  });

  it('wakes waiters on release and resolves whenIdle only once everything is back', async () => {
    const slots = new Slots(2);
    slots.take(2);
    let idle = false;
    const whenIdle = slots.whenIdle().then(() => (idle = true));
    const free = slots.nextChange();
    slots.release();
    await free;
    await Promise.resolve();
    expect(idle).toBe(false);
    slots.release();
    await whenIdle;
    expect(idle).toBe(true);
  });
});
