import http from "node:http";
import type { AddressInfo } from "node:net";

/** One request a receiver got. */
export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  readonly at: number;
}

/** What the receiver answers: a status code, or "hang" to never answer (for timeouts). */
export type Reply = number | "hang";

export interface WebhookReceiver {
  /** Base URL on 127.0.0.1. */
  readonly url: URL;
  readonly requests: ReceivedRequest[];
  /** Requests received on `path`. */
  on(path: string): ReceivedRequest[];
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 for webhook jobs to call. `reply` decides each answer from the request and how
 * many requests its path has had before it (0 for the first).
 */
export async function startWebhookReceiver(
  reply: (request: ReceivedRequest, previous: number) => Reply = () => 200,
): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  const hanging = new Set<http.ServerResponse>();
  const on = (path: string) => requests.filter((r) => r.path === path);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const received: ReceivedRequest = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        at: Date.now(),
      };
      const previous = on(received.path).length;
      requests.push(received);
      const answer = reply(received, previous);
      if (answer === "hang") {
        hanging.add(res);
        return;
      }
      res.writeHead(answer, { "content-type": "text/plain" }).end(`status ${answer}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}`),
    requests,
    on,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
