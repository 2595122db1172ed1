/**
 * A TCP proxy in front of a server (the real DefectDojo or the fake) that a test can freeze: while frozen it still
 * accepts connections and reads requests but never forwards or answers anything — a hung server, as opposed to a
 * stopped one (`stopListening`: connections are refused). Thawing closes every connection that was held, so no
 * held request reaches the server late. The shared real DefectDojo itself is never stopped or frozen.
 */
import type { Socket, TCPSocketListener } from 'bun';

interface Side {
  socket: Socket<Pair> | null;
  /** Bytes not yet accepted by the socket (backpressure) or waiting for the upstream to connect. */
  pending: Uint8Array[];
}

interface Pair {
  client: Side;
  upstream: Side;
  held: boolean;
  closed: boolean;
}

export interface TcpProxy {
  url: string;
  port: number;
  /** From now on: accept, read, never answer. Connections already open stop getting answers too. */
  freeze(): void;
  /** Back to forwarding; connections held while frozen are closed. */
  thaw(): void;
  readonly frozen: boolean;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Chunks of request bytes swallowed while frozen: grows whenever a client sends a request to the hung server. */
  readonly heldChunks: number;
  /** A stopped server: the port refuses connections until `listenAgain`. */
  stopListening(): void;
  listenAgain(): void;
  stop(): Promise<void>;
}

function flush(side: Side): void {
  const s = side.socket;
  if (!s) return;
  while (side.pending.length > 0) {
    const chunk = side.pending[0]!;
    const n = s.write(chunk);
    if (n < chunk.length) {
      side.pending[0] = chunk.subarray(Math.max(n, 0));
      return;
    }
    side.pending.shift();
  }
}

function send(side: Side, data: Uint8Array): void {
  side.pending.push(new Uint8Array(data));
  flush(side);
}

function closePair(p: Pair): void {
  if (p.closed) return;
  p.closed = true;
  p.client.socket?.end();
  p.upstream.socket?.end();
}

export function startTcpProxy(target: { host: string; port: number }): TcpProxy {
  const pairs = new Set<Pair>();
  let frozen = false;
  let accepted = 0;
  let heldChunks = 0;
  const connectUpstream = (p: Pair) =>
    Bun.connect<Pair>({
      hostname: target.host,
      port: target.port,
      data: p,
      socket: {
        open(s) {
          p.upstream.socket = s;
          flush(p.upstream);
        },
        data(_s, d) {
          if (frozen || p.held) return;
          send(p.client, d);
        },
        drain() {
          flush(p.upstream);
        },
        close() {
          if (!p.held) closePair(p);
        },
        error() {
          closePair(p);
        },
      },
    }).catch(() => closePair(p));

  const listen = (port: number): TCPSocketListener<Pair> => Bun.listen<Pair>({
    hostname: '127.0.0.1',
    port,
    socket: {
      open(s) {
        accepted += 1;
        const p: Pair = { client: { socket: s, pending: [] }, upstream: { socket: null, pending: [] }, held: frozen, closed: false };
        s.data = p;
        pairs.add(p);
        if (!frozen) void connectUpstream(p);
      },
      data(s, d) {
        const p = s.data;
        if (frozen || p.held) {
          p.held = true;
          heldChunks += 1;
          return;
        }
        send(p.upstream, d);
      },
      drain(s) {
        flush(s.data.client);
      },
      close(s) {
        pairs.delete(s.data);
        closePair(s.data);
      },
      error(s) {
        closePair(s.data);
      },
    },
  });
  let listener: TCPSocketListener<Pair> | null = listen(0);
  const port = listener.port;
  const closeAll = () => {
    for (const p of pairs) closePair(p);
    pairs.clear();
  };

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get frozen() {
      return frozen;
    },
    get accepted() {
      return accepted;
    },
    get heldChunks() {
      return heldChunks;
    },
    freeze() {
      frozen = true;
      for (const p of pairs) p.held = true;
    },
    thaw() {
      frozen = false;
      for (const p of [...pairs]) {
        if (p.held) {
          pairs.delete(p);
          closePair(p);
        }
      }
    },
    stopListening() {
      listener?.stop(true);
      listener = null;
      closeAll();
    },
    listenAgain() {
      listener ??= listen(port);
    },
    async stop() {
      closeAll();
      listener?.stop(true);
      listener = null;
    },
  };
}
