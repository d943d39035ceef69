// client.threads.stream() of the official JS client against our server: node thread_stream.mjs <url>
// Prints one JSON report line for tests/e2e/test_js_client.py.
import { Client, ProtocolSseTransportAdapter } from "@langchain/langgraph-sdk";

const apiUrl = process.argv[2];
const client = new Client({ apiUrl });
const TERMINAL = new Set(["completed", "failed", "interrupted"]);

const isRootTerminal = (e) =>
  e.method === "lifecycle" && e.params.namespace.length === 0 && TERMINAL.has(e.params.data.event);
const summary = (events) =>
  events.map((e) => [e.seq, e.method, e.method === "values" ? null : (e.params.data.event ?? null)]);

async function untilRootTerminal(iterable, onEvent = async () => {}) {
  const events = [];
  for await (const event of iterable) {
    events.push(event);
    await onEvent(event);
    if (isRootTerminal(event)) break;
  }
  return events;
}

function withTimeout(promise, ms, what) {
  return Promise.race([
    promise,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms)),
  ]);
}

// 1. A run's events, in order, through a subscription.
// Subscribed before the run starts, so that no narrower stream opened by run.start moves the cursor first.
const thread = client.threads.stream({ assistantId: "agent" });
const subscription = await thread.subscribe({ channels: ["lifecycle", "values", "messages"] });
const started = await thread.run.start({ input: { messages: [{ role: "user", content: "hi" }] } });
const events = await withTimeout(untilRootTerminal(subscription), 30000, "agent run");
const output = await withTimeout(thread.output, 30000, "output");
await thread.close();

// 2. Reconnect with `since`: only the later events, the same ones.
const transport = new ProtocolSseTransportAdapter({ apiUrl, threadId: thread.threadId });
const replay = transport.openEventStream({ channels: ["lifecycle", "values", "messages"], since: 5 });
await replay.ready;
const replayed = await withTimeout(untilRootTerminal(replay.events), 30000, "replay");
replay.close();
await transport.close();

// 3. Cancel: the run ends with the terminal lifecycle event.
const slow = client.threads.stream({ assistantId: "slow" });
const slowSub = await slow.subscribe({ channels: ["lifecycle", "values"] });
const slowRun = await slow.run.start({ input: { steps: ["a"] }, config: { configurable: { delay: 30 } } });
let cancelled = false;
const cancelEvents = await withTimeout(
  untilRootTerminal(slowSub, async (event) => {
    if (event.method === "values" && !cancelled) {
      cancelled = true;
      await client.runs.cancel(slow.threadId, slowRun.run_id);
    }
  }),
  20000,
  "cancelled run",
);
await slow.close();

console.log(
  JSON.stringify({
    runId: started.run_id,
    events: summary(events),
    firstEvent: events[0],
    text: events
      .filter((e) => e.params.data.event === "content-block-delta")
      .map((e) => e.params.data.delta.text)
      .join(""),
    lastMessage: output.messages.at(-1).content,
    replayed: summary(replayed),
    replayedSame: JSON.stringify(replayed) === JSON.stringify(events.slice(5)),
    cancelEvents: summary(cancelEvents),
  }),
);
