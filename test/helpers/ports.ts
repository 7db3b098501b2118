// Free loopback ports for the servers the tests start: bound to port 0, read, closed.
// (A port could be taken again between close and use; on a test machine that is rare
// enough, and every server helper fails loudly if it happens.)

import dgram from 'node:dgram';
import net from 'node:net';

/** `n` distinct free TCP ports on 127.0.0.1 (bound together, then closed). */
export async function freePorts(n: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = net.createServer();
      servers.push(s);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(0, '127.0.0.1', () => resolve());
      });
    }
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

export async function freeTcpPort(): Promise<number> {
  return (await freePorts(1))[0]!;
}

export async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => resolve());
  });
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A free UDP port below 1024 on 127.0.0.1 (binding there needs root: tests that run as root only). */
export async function freePrivilegedUdpPort(): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const port = 600 + Math.floor(Math.random() * 424);
    const s = dgram.createSocket('udp4');
    const ok = await new Promise<boolean>((resolve) => {
      s.once('error', () => resolve(false));
      s.bind(port, '127.0.0.1', () => resolve(true));
    });
    await new Promise<void>((r) => s.close(() => r()));
    if (ok) return port;
  }
  throw new Error('no free UDP port below 1024');
}
