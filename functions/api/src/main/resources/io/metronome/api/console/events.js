// Follows a run's events: fetch (which can send the key in a header, where EventSource cannot) reading
// Server-Sent Events as they arrive, asking again with Last-Event-ID after each answer, until the stream's end event.
import {session} from './api.js';

/** Parses SSE text fed in chunks; calls onEvent(type, data, id) per event and onRetry(ms) per retry field. */
export class SseParser {
  constructor(onEvent, onRetry = () => {}) {
    this.onEvent = onEvent;
    this.onRetry = onRetry;
    this.buffer = '';
    this.reset();
  }

  reset() { this.type = 'message'; this.data = []; this.id = null; }

  feed(chunk) {
    let text = this.buffer + chunk;
    // A CR at the end may be half of a CRLF whose LF comes in the next chunk: it waits to be one line end, not two.
    const pendingCR = text.endsWith('\r');
    if (pendingCR) text = text.slice(0, -1);
    const lines = text.split(/\r\n|\r|\n/);
    this.buffer = lines.pop() + (pendingCR ? '\r' : ''); // an unfinished line waits for the rest
    for (const line of lines) this.line(line);
  }

  line(line) {
    if (line === '') {
      if (this.data.length) this.onEvent(this.type, this.data.join('\n'), this.id);
      this.reset();
      return;
    }
    if (line.startsWith(':')) return; // a comment
    const i = line.indexOf(':');
    const field = i < 0 ? line : line.slice(0, i);
    const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
    if (field === 'event') this.type = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id') this.id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.onRetry(Number(value));
  }
}

/**
 * Follows from lastId (the first timeline page's lastEventId). onEvent(type, event) for each event, onState(text)
 * for what the follower is doing. Returns a stop function.
 */
export function follow(runPath, lastId, onEvent, onState) {
  const control = new AbortController();
  let stopped = false;
  (async () => {
    let retry = 500, failures = 0;
    while (!stopped) {
      let ended = false;
      try {
        const headers = {Authorization: `Bearer ${session.key()}`, Accept: 'text/event-stream'};
        if (lastId) headers['Last-Event-ID'] = lastId;
        // The largest page the endpoint gives: a big map's thousands of events catch up in few answers.
        const res = await fetch(runPath + '/events?limit=1000', {headers, signal: control.signal, cache: 'no-store'});
        if (res.status !== 200) throw new Error(`events answered ${res.status}`);
        onState('live');
        failures = 0;
        const parser = new SseParser((type, data, id) => {
          if (type === 'end') { ended = true; return; }
          if (id) lastId = id;
          onEvent(type, JSON.parse(data));
        }, (ms) => { retry = ms; });
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const {value, done} = await reader.read();
          if (done) break;
          parser.feed(value);
        }
        parser.feed('\n');
      } catch (e) {
        if (stopped) return;
        failures++;
        onState('reconnecting');
        retry = Math.min(30000, 1000 * 2 ** Math.min(failures, 5));
      }
      if (ended) { onState('ended'); return; }
      await new Promise((r) => setTimeout(r, retry));
    }
  })();
  return () => { stopped = true; control.abort(); };
}
