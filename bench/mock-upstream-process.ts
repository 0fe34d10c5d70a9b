/**
 * The mock Anthropic upstream in a process of its own, so its work is not charged
 * to the load driver or the relay. Prints `{"type":"ready","url":…}`; the parent
 * can change the reply for every following request with `{"setDefault": reply}`
 * (acknowledged by `{"type":"default-set"}`). Exits on SIGTERM or when the parent goes.
 *
 * Options (one JSON argument): `{ "reply": MockReply }`.
 */
import { startMockAnthropic, type MockReply } from "@claude-relay/testkit";
import { openParentChannel } from "./support/parent-channel.js";

async function main(): Promise<void> {
  const mock = await startMockAnthropic();
  const stop = () => void mock.close().finally(() => process.exit(0));
  const channel = openParentChannel(stop);
  const { reply } = channel.options<{ reply: MockReply }>();
  mock.setDefault(reply);
  channel.onCommand((command) => {
    if (command.setDefault === undefined) return;
    mock.setDefault(command.setDefault as MockReply);
    channel.emit({ type: "default-set" });
  });
  // The mock keeps every request and response for tests to inspect; a benchmark sends
  // hundreds of thousands, so the record is dropped as it grows.
  setInterval(() => {
    mock.requests.length = 0;
  }, 250).unref();
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  channel.emit({ type: "ready", url: mock.url });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
