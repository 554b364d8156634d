import { WebSocket } from "ws";

export interface CdpMessage {
  id?: number;
  method?: string;
  params?: Record<string, any>;
  result?: Record<string, any>;
  error?: { code: number; message: string };
}

/** A minimal Chrome DevTools Protocol client for tests: requests by id, events kept in order of arrival. */
export class CdpClient {
  readonly events: CdpMessage[] = [];
  /** Answers without an id (parse errors). */
  readonly unsolicited: CdpMessage[] = [];
  private next = 1;
  private readonly pending = new Map<number, (message: CdpMessage) => void>();
  private readonly waiters = new Set<() => void>();
  closed: { code: number } | undefined;

  private constructor(readonly socket: WebSocket) {
    socket.on("message", (data) => {
      const message = JSON.parse(data.toString()) as CdpMessage;
      if (typeof message.id === "number" && this.pending.has(message.id)) {
        this.pending.get(message.id)!(message);
        this.pending.delete(message.id);
      } else if (message.method) this.events.push(message);
      else this.unsolicited.push(message);
      for (const waiter of [...this.waiters]) waiter();
    });
    socket.on("close", (code) => {
      this.closed = { code };
      for (const waiter of [...this.waiters]) waiter();
    });
  }

  static connect(url: string, headers?: Record<string, string>): Promise<CdpClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { headers, maxPayload: 1 << 30 });
      socket.once("open", () => resolve(new CdpClient(socket)));
      socket.once("error", reject);
      socket.once("unexpected-response", (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
    });
  }

  /** Sends a request; resolves with the whole answer (result or error). */
  request(method: string, params: object = {}): Promise<CdpMessage> {
    const id = this.next++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Sends a request and returns its result; a CDP error throws. */
  async call(method: string, params: object = {}): Promise<Record<string, any>> {
    const answer = await this.request(method, params);
    if (answer.error) throw new Error(`${method}: ${answer.error.message} (${answer.error.code})`);
    return answer.result!;
  }

  sendRaw(text: string | Buffer): void {
    this.socket.send(text);
  }

  /** Resolves once `predicate` holds (checked at each message), or rejects after `timeoutMs`. */
  until<T>(predicate: () => T | undefined | false, what: string, timeoutMs = 10_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const value = predicate();
        if (value !== undefined && value !== false) {
          this.waiters.delete(check);
          clearTimeout(timer);
          resolve(value);
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  event(method: string, filter: (params: Record<string, any>) => boolean = () => true): Promise<Record<string, any>> {
    return this.until(() => this.events.find((message) => message.method === method && filter(message.params ?? {}))?.params, method);
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once("close", () => resolve());
      this.socket.close();
    });
  }
}
