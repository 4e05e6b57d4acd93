import { ObserverHub } from './observer-hub.js';

describe('ObserverHub', () => {
  it('fans every event out to the observers that have it, and reads the clock only when one wants durations', () => {
    const hub = new ObserverHub();
    const seen: string[] = [];
    hub.add({ reclaimed: (stream, count) => seen.push(`a reclaimed ${stream} ${count}`) });
    expect(hub.timed).toBe(false);
    expect(hub.current.handled).toBeUndefined();
    hub.add({
      handled: (stream, outcome) => seen.push(`b ${outcome} ${stream}`),
      reclaimed: (stream, count) => seen.push(`b reclaimed ${stream} ${count}`),
    });
    expect(hub.timed).toBe(true);
    hub.current.handled!('orders', 'success', 1);
    hub.current.reclaimed!('orders', 3);
    expect(seen).toEqual(['b success orders', 'a reclaimed orders 3', 'b reclaimed orders 3']);
  });

  it('relays to observers added after a unit took the relay', () => {
    const hub = new ObserverHub();
    const relay = hub.relay;
    const trimmed: number[] = [];
    relay.trimmed!('orders', 1);
    hub.add({ trimmed: (_stream, count) => trimmed.push(count) });
    relay.trimmed!('orders', 2);
    expect(trimmed).toEqual([2]);
  });
});
