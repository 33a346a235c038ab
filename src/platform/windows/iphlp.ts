/**
 * The Wintun adapter's addresses, MTU and the mesh routes, through the IP
 * Helper API (iphlpapi.dll) by the adapter's LUID: what platform/linux/
 * netlink.ts does with rtnetlink. Rows are filled by the Initialize*
 * calls (Windows' documented defaults) and then by field offsets of the
 * x64 structures, which the test double in native/wine/ reads back through
 * the Windows SDK headers (mingw-w64's netioapi.h), so a wrong offset
 * fails a test.
 *
 *   MIB_UNICASTIPADDRESS_ROW (80 bytes): Address SOCKADDR_INET @0,
 *     InterfaceLuid @32, PrefixOrigin @44, SuffixOrigin @48,
 *     OnLinkPrefixLength @60, DadState @64
 *   MIB_IPFORWARD_ROW2 (104 bytes): InterfaceLuid @0, DestinationPrefix
 *     { SOCKADDR_INET @12, PrefixLength @40 }, NextHop @44, Metric @84,
 *     Protocol @88
 *   MIB_IPINTERFACE_ROW (168 bytes): Family @0, InterfaceLuid @8,
 *     SitePrefixLength @144, NlMtu @152
 *
 * Wine has none of these calls; the tests load the double instead through
 * SMOLMESH_IPHLPAPI_DLL, a test hook (never set it on Windows).
 */
import { dlopen, FFIType, ptr } from "bun:ffi";
import { formatIp } from "../../addr/format.ts";
import { assertRoutable } from "../../addr/special.ts";

const { ptr: p, u32, void: none } = FFIType;

const SYMBOLS = {
  InitializeUnicastIpAddressEntry: { args: [p], returns: none },
  CreateUnicastIpAddressEntry: { args: [p], returns: u32 },
  DeleteUnicastIpAddressEntry: { args: [p], returns: u32 },
  InitializeIpForwardEntry: { args: [p], returns: none },
  CreateIpForwardEntry2: { args: [p], returns: u32 },
  DeleteIpForwardEntry2: { args: [p], returns: u32 },
  InitializeIpInterfaceEntry: { args: [p], returns: none },
  GetIpInterfaceEntry: { args: [p], returns: u32 },
  SetIpInterfaceEntry: { args: [p], returns: u32 },
} as const;

type Lib = ReturnType<typeof dlopen<typeof SYMBOLS>>["symbols"];

const AF_INET = 2;
const AF_INET6 = 23;
const ERROR_ACCESS_DENIED = 5;
const ERROR_NOT_FOUND = 1168;
const ERROR_OBJECT_ALREADY_EXISTS = 5010;
/** NL_PREFIX_ORIGIN / NL_SUFFIX_ORIGIN: IpPrefixOriginManual, IpSuffixOriginManual. */
const ORIGIN_MANUAL = 1;
/** NL_DAD_STATE: IpDadStatePreferred, so the address is usable at once (Linux: IFA_F_NODAD). */
const DAD_PREFERRED = 4;
/** NL_ROUTE_PROTOCOL: MIB_IPPROTO_NETMGMT, a route set by management. */
const PROTO_NETMGMT = 3;

const MESSAGES: Record<number, string> = {
  [ERROR_ACCESS_DENIED]: "access denied (run elevated)",
  87: "invalid parameter",
  [ERROR_NOT_FOUND]: "not found",
  [ERROR_OBJECT_ALREADY_EXISTS]: "already exists",
  50: "not supported",
};

/** An IP Helper call that failed: names the call, the address and the Windows error. */
export class IpHelperError extends Error {
  override readonly name = "IpHelperError";
  constructor(
    readonly call: string,
    readonly code: number,
    what: string,
  ) {
    super(`${call} ${what}: Windows error ${code}${MESSAGES[code] ? ` (${MESSAGES[code]})` : ""}`);
  }
}

/**
 * Runs `call` until it stops answering ERROR_NOT_FOUND, for at most 5 s: a
 * Wintun adapter just created takes a moment to appear in Windows' IP
 * stack, and lookups by its LUID fail until then.
 */
function whenReady(call: () => number): number {
  const deadline = performance.now() + 5000;
  for (;;) {
    const rc = call();
    if (rc !== ERROR_NOT_FOUND || performance.now() > deadline) return rc;
    Bun.sleepSync(50);
  }
}

/** Writes a SOCKADDR_INET (sockaddr_in or sockaddr_in6, port 0) for `ip` at `off`. */
function putSockaddr(dv: DataView, row: Uint8Array, off: number, ip: Uint8Array): void {
  dv.setUint16(off, ip.length === 16 ? AF_INET6 : AF_INET, true);
  row.set(ip, off + (ip.length === 16 ? 8 : 4));
}

/** Addresses, routes and MTU of one interface, named by its LUID. */
export class IpHelper {
  private readonly lib: Lib;
  private readonly addr = new Uint8Array(80);
  private readonly fwd = new Uint8Array(104);
  private readonly iface = new Uint8Array(168);

  constructor(
    private readonly luid: bigint,
    path = process.env.SMOLMESH_IPHLPAPI_DLL || "iphlpapi.dll",
  ) {
    this.lib = dlopen(path, SYMBOLS).symbols;
  }

  /** An address on the interface: /128 for IPv6, /32 for IPv4. False when it was there already. */
  addAddress(ip: Uint8Array): boolean {
    const row = this.addressRow(ip);
    const rc = whenReady(() => this.lib.CreateUnicastIpAddressEntry(row));
    this.check("CreateUnicastIpAddressEntry", rc, ip);
    return rc === 0;
  }

  deleteAddress(ip: Uint8Array): void {
    this.check("DeleteUnicastIpAddressEntry", this.lib.DeleteUnicastIpAddressEntry(this.addressRow(ip)), ip);
  }

  /**
   * A /32 or /128 route to the interface, on-link (no gateway). Present
   * already counts as done. Never to a special address (addr/special.ts).
   */
  addRoute(ip: Uint8Array): void {
    assertRoutable(ip);
    this.check("CreateIpForwardEntry2", this.lib.CreateIpForwardEntry2(this.routeRow(ip)), ip);
  }

  deleteRoute(ip: Uint8Array): void {
    this.check("DeleteIpForwardEntry2", this.lib.DeleteIpForwardEntry2(this.routeRow(ip)), ip);
  }

  /** The interface MTU for IPv6 or IPv4 (`family` 6 or 4). */
  setMtu(family: 4 | 6, mtu: number): void {
    const row = this.iface;
    const dv = new DataView(row.buffer);
    row.fill(0);
    this.lib.InitializeIpInterfaceEntry(ptr(row));
    dv.setUint16(0, family === 6 ? AF_INET6 : AF_INET, true);
    dv.setBigUint64(8, this.luid, true);
    const what = `IPv${family} of interface ${this.luid.toString(16)}`;
    let rc = whenReady(() => this.lib.GetIpInterfaceEntry(ptr(row)));
    if (rc !== 0) throw new IpHelperError("GetIpInterfaceEntry", rc, what);
    dv.setUint32(152, mtu, true);
    // Windows rejects Set with the SitePrefixLength Get returned for IPv4
    if (family === 4) dv.setUint32(144, 0, true);
    rc = this.lib.SetIpInterfaceEntry(ptr(row));
    if (rc !== 0) throw new IpHelperError("SetIpInterfaceEntry", rc, `${what}, mtu ${mtu}`);
  }

  private addressRow(ip: Uint8Array) {
    const row = this.addr;
    const dv = new DataView(row.buffer);
    row.fill(0);
    this.lib.InitializeUnicastIpAddressEntry(ptr(row));
    putSockaddr(dv, row, 0, ip);
    dv.setBigUint64(32, this.luid, true);
    dv.setUint32(44, ORIGIN_MANUAL, true);
    dv.setUint32(48, ORIGIN_MANUAL, true);
    row[60] = ip.length === 16 ? 128 : 32;
    dv.setUint32(64, DAD_PREFERRED, true);
    return ptr(row);
  }

  private routeRow(ip: Uint8Array) {
    const row = this.fwd;
    const dv = new DataView(row.buffer);
    row.fill(0);
    this.lib.InitializeIpForwardEntry(ptr(row));
    dv.setBigUint64(0, this.luid, true);
    putSockaddr(dv, row, 12, ip);
    row[40] = ip.length === 16 ? 128 : 32;
    // next hop: the unspecified address of the same family, i.e. on-link
    putSockaddr(dv, row, 44, new Uint8Array(ip.length));
    dv.setUint32(84, 0, true); // metric 0: the interface's metric alone
    dv.setUint32(88, PROTO_NETMGMT, true);
    return ptr(row);
  }

  private check(call: string, rc: number, ip: Uint8Array): void {
    if (rc === 0) return;
    if (call.startsWith("Create") && rc === ERROR_OBJECT_ALREADY_EXISTS) return;
    if (call.startsWith("Delete") && rc === ERROR_NOT_FOUND) return;
    throw new IpHelperError(call, rc, formatIp(ip));
  }
}
