// A browser app on another origin, as Agent Chat UI or a useStream app is: the official JS SDK
// against the server named in the page's ?api= parameter. Each step writes its outcome into
// <li id="step-NAME" data-status="ok|error">, which the browser test reads.
import { Client } from "@langchain/langgraph-sdk";

const api = new URLSearchParams(window.location.search).get("api");
const client = new Client({ apiUrl: api });

function report(name, status, detail) {
  const item = document.createElement("li");
  item.id = `step-${name}`;
  item.dataset.status = status;
  item.textContent = typeof detail === "string" ? detail : JSON.stringify(detail);
  document.getElementById("steps").appendChild(item);
}

async function step(name, action) {
  try {
    const detail = await action();
    report(name, "ok", detail);
    return detail;
  } catch (error) {
    report(name, "error", String(error && error.stack ? error.stack : error));
    throw error;
  }
}

async function main() {
  const thread = await step("create-thread", async () => {
    const created = await client.threads.create({ metadata: { from: "browser" } });
    return { thread_id: created.thread_id };
  });
  await step("stream-run", async () => {
    const events = [];
    let runId = null;
    let last = null;
    const stream = client.runs.stream(thread.thread_id, "agent", {
      input: { messages: [{ role: "user", content: [{ type: "text", text: "hello from a browser" }] }] },
      streamMode: ["values", "messages-tuple"],
      // The SDK learns the run id from the Content-Location header: readable only if exposed.
      onRunCreated: (meta) => {
        runId = meta.run_id;
      },
    });
    for await (const part of stream) {
      events.push(part.event);
      if (part.event === "values") last = part.data.messages.at(-1).content;
    }
    return { runId, events: [...new Set(events)], last };
  });
  await step("history", async () => {
    const history = await client.threads.getHistory(thread.thread_id, { limit: 10 });
    return { checkpoints: history.length, last: history[0].values.messages.at(-1).content };
  });
  await step("search", async () => {
    const found = await client.threads.search({ metadata: { from: "browser" }, limit: 5 });
    return { found: found.map((t) => t.thread_id).includes(thread.thread_id) };
  });
}

main()
  .catch(() => undefined)
  .finally(() => report("done", "ok", "finished"));
