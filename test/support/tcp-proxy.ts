/**
 * A TCP proxy on a loopback port chosen at run time, in front of one etcd member, so a test can take the
 * network away from one client: cut every connection and refuse new ones (`block`), or let the next request
 * through and cut the connection before its reply comes back (`dropNextReply`, DUR-4).
 */
import { type Server, type Socket, connect, createServer } from 'node:net';

export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private blocked = false;
  private dropping: { resolve: () => void } | undefined;

  private readonly server: Server;
  port = 0;

  private constructor(target: { host: string; port: number }) {
    this.server = createServer((client) => this.accept(client, target));
  }

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const proxy = new TcpProxy(target);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    proxy.port = (proxy.server.address() as { port: number }).port;
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private accept(client: Socket, target: { host: string; port: number }): void {
    if (this.blocked) {
      client.destroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    this.sockets.add(client).add(upstream);
    let requestSeen = false;
    client.on('data', (d) => {
      if (this.dropping) requestSeen = true;
      upstream.write(d);
    });
    upstream.on('data', (d) => {
      // Armed and the request went out: whatever comes back next is the reply, and it is lost.
      if (this.dropping && requestSeen) {
        const done = this.dropping;
        this.dropping = undefined;
        client.destroy();
        upstream.destroy();
        done.resolve();
        return;
      }
      client.write(d);
    });
    const close = (): void => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  }

  /** Cuts every connection and refuses new ones until unblock(). */
  block(): void {
    this.blocked = true;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  unblock(): void {
    this.blocked = false;
  }

  /**
   * The next bytes a client sends go through to etcd; the connection is cut when etcd answers, so the reply
   * never arrives. Resolves once a reply was dropped.
   */
  dropNextReply(): Promise<void> {
    return new Promise((resolve) => (this.dropping = { resolve }));
  }

  async close(): Promise<void> {
    this.block();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
