// The official JS client, unchanged, against our server: node client.mjs <url>
import { Client } from "@langchain/langgraph-sdk";

const client = new Client({ apiUrl: process.argv[2] });
const input = { messages: [{ role: "user", content: "hello from js" }] };

const thread = await client.threads.create({ metadata: { from: "js" } });
const waited = await client.runs.wait(thread.thread_id, "agent", { input });

const events = [];
for await (const chunk of client.runs.stream(thread.thread_id, "agent", { input, streamMode: ["values", "updates"] })) {
  events.push(chunk.event);
}

const cron = await client.crons.createForThread(thread.thread_id, "agent", { schedule: "0 8 * * *", input });
const crons = await client.crons.search({ threadId: thread.thread_id });
await client.crons.delete(cron.cron_id);

console.log(
  JSON.stringify({
    threadId: thread.thread_id,
    lastMessage: waited.messages.at(-1).content,
    events,
    cronId: cron.cron_id,
    cronsFound: crons.map((c) => c.cron_id),
  }),
);
