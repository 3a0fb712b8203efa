/**
 * A local stand-in for the checkpoints' publishers: an HTTP server on a free port (or
 * `port`) serving files by path, laid out as models/models.json's `file`s
 * (`torchvision/…`, `fd-mobilenet/…`) or anything else, with CORS headers unless told
 * not to. Paths under `/stall/` send their headers and then nothing; under `/truncate/`
 * they announce the whole file and close after half of it; under `/oversize/` they
 * announce `announce` bytes.
 */
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface Mirror {
  url: string;
  /** Paths requested so far (GET and HEAD), in order. */
  requests: string[];
  close(): Promise<void>;
}

export interface MirrorOptions {
  port?: number;
  /** Send Access-Control-Allow-Origin (default true). */
  cors?: boolean;
  /** Content-Length that /oversize/ paths announce. */
  announce?: number;
}

export async function startMirror(
  files: Map<string, Uint8Array>,
  opts: MirrorOptions = {},
): Promise<Mirror> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(path);
    // The page's origin differs (another port): the file is readable only with CORS, and a
    // cross-origin-isolated page also needs the resource policy.
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    // No idle keep-alive sockets for a client to find closed under it (ECONNRESET).
    res.setHeader('Connection', 'close');
    if (opts.cors !== false) res.setHeader('Access-Control-Allow-Origin', '*');
    const [, mode, ...rest] = path.split('/');
    const special = ['stall', 'truncate', 'oversize'].includes(mode ?? '');
    const bytes = files.get(special ? `/${rest.join('/')}` : path);
    if (mode === 'oversize') {
      res.writeHead(200, { 'Content-Length': String(opts.announce ?? 0) });
      res.flushHeaders();
      return;
    }
    if (!bytes) {
      res.writeHead(404).end(`not found: ${path}`);
      return;
    }
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Content-Length', String(bytes.length));
    if (req.method === 'HEAD') {
      res.writeHead(200).end();
      return;
    }
    if (mode === 'stall') {
      res.writeHead(200);
      res.flushHeaders();
      return;
    }
    if (mode === 'truncate') {
      res.writeHead(200);
      res.write(bytes.subarray(0, bytes.length >> 1), () => res.destroy());
      return;
    }
    res.writeHead(200).end(bytes);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, 'localhost', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
