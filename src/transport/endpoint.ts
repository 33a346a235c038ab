/** host:port text for logs and status, brackets around IPv6 literals. */
export function formatEndpoint(host: string, port: number): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]:${port}` : `${host}:${port}`;
}
