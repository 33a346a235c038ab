/*
 * A test double of the IP Helper calls smolmesh makes for its Wintun
 * adapter (addresses, routes, MTU), for Wine, whose iphlpapi.dll lacks
 * them. smolmesh loads it instead of iphlpapi.dll when the test sets
 * SMOLMESH_IPHLPAPI_DLL.
 *
 * Each row is read through the Windows SDK's own structures (mingw-w64's
 * netioapi.h), so an offset smolmesh gets wrong shows up as a wrong field
 * here. Every call is reported to the test as one line of text over UDP
 * to 127.0.0.1:$SMOLMESH_IPHLPAPI_TEST_PORT, e.g.
 *
 *   addr add fd00::1/128 luid=600000000002a origin=1/1 dad=4 rc=0
 *   route add 10.1.2.3/32 luid=600000000002a via=0.0.0.0 metric=0 proto=3 rc=0
 *   mtu 6 65000 luid=600000000002a rc=0
 *
 * It keeps a table like Windows does: adding what exists gives
 * ERROR_OBJECT_ALREADY_EXISTS, deleting what does not ERROR_NOT_FOUND, and
 * rows for another interface, a bad family, a next hop of another family
 * or an IPv4 MTU set with a site prefix length are refused as Windows
 * refuses them. SMOLMESH_IPHLPAPI_DENY makes address creation fail with
 * ERROR_ACCESS_DENIED (a process that is not elevated);
 * SMOLMESH_IPHLPAPI_NOT_READY=N makes the first N interface lookups fail
 * with ERROR_NOT_FOUND, as for an adapter Windows has not finished adding
 * (each reported as "lookup IPv6 rc=1168").
 *
 * Built by the tests with Debian's mingw-w64; never shipped.
 */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <netioapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the LUID the Wintun double gives its adapter */
#define ADAPTER_LUID (0x0006000000000000ULL | 42)
#define MAX_ROWS 4096

typedef struct entry {
  int used;
  SOCKADDR_INET addr;
  UINT8 len;
} entry;

static entry addrs[MAX_ROWS], routes[MAX_ROWS];
static ULONG mtu[2] = {1500, 1500}; /* IPv4, IPv6 */
static SOCKET sock = INVALID_SOCKET;
static struct sockaddr_in test;
static CRITICAL_SECTION lock;
static INIT_ONCE once = INIT_ONCE_STATIC_INIT;

static BOOL CALLBACK init(PINIT_ONCE o, PVOID p, PVOID *c) {
  (void)o;
  (void)p;
  (void)c;
  InitializeCriticalSection(&lock);
  char port[16] = {0};
  if (GetEnvironmentVariableA("SMOLMESH_IPHLPAPI_TEST_PORT", port, sizeof port) == 0) return TRUE;
  WSADATA wsa;
  WSAStartup(MAKEWORD(2, 2), &wsa);
  sock = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
  test.sin_family = AF_INET;
  test.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  test.sin_port = htons((u_short)atoi(port));
  return TRUE;
}

static void setup(void) {
  InitOnceExecuteOnce(&once, init, NULL, NULL);
}

static void report(const char *line) {
  if (sock != INVALID_SOCKET) sendto(sock, line, (int)strlen(line), 0, (struct sockaddr *)&test, sizeof test);
}

static const char *text(const SOCKADDR_INET *a, char *out, size_t n) {
  if (a->si_family == AF_INET) return inet_ntop(AF_INET, &a->Ipv4.sin_addr, out, n);
  if (a->si_family == AF_INET6) return inet_ntop(AF_INET6, &a->Ipv6.sin6_addr, out, n);
  snprintf(out, n, "family-%u", a->si_family);
  return out;
}

static int same(const SOCKADDR_INET *a, const SOCKADDR_INET *b) {
  if (a->si_family != b->si_family) return 0;
  if (a->si_family == AF_INET) return a->Ipv4.sin_addr.s_addr == b->Ipv4.sin_addr.s_addr;
  return memcmp(&a->Ipv6.sin6_addr, &b->Ipv6.sin6_addr, 16) == 0;
}

static int valid(const SOCKADDR_INET *a, UINT8 len) {
  if (a->si_family == AF_INET) return len <= 32;
  if (a->si_family == AF_INET6) return len <= 128;
  return 0;
}

/* add (del = 0) or delete (del = 1) in a table; a Windows error code */
static DWORD change(entry *table, const SOCKADDR_INET *a, UINT8 len, int del) {
  DWORD rc = del ? ERROR_NOT_FOUND : NO_ERROR;
  EnterCriticalSection(&lock);
  int free_at = -1;
  for (int i = 0; i < MAX_ROWS; i++) {
    if (!table[i].used) {
      if (free_at < 0) free_at = i;
      continue;
    }
    if (table[i].len == len && same(&table[i].addr, a)) {
      if (del) {
        table[i].used = 0;
        rc = NO_ERROR;
      } else {
        rc = ERROR_OBJECT_ALREADY_EXISTS;
      }
      goto out;
    }
  }
  if (!del) {
    if (free_at < 0) {
      rc = ERROR_NOT_ENOUGH_MEMORY;
    } else {
      table[free_at].used = 1;
      table[free_at].addr = *a;
      table[free_at].len = len;
    }
  }
out:
  LeaveCriticalSection(&lock);
  return rc;
}

__declspec(dllexport) VOID WINAPI InitializeUnicastIpAddressEntry(MIB_UNICASTIPADDRESS_ROW *row) {
  memset(row, 0, sizeof *row);
  row->PrefixOrigin = IpPrefixOriginUnchanged;
  row->SuffixOrigin = IpSuffixOriginUnchanged;
  row->ValidLifetime = 0xffffffff;
  row->PreferredLifetime = 0xffffffff;
  row->OnLinkPrefixLength = 0xff;
}

static DWORD address(const MIB_UNICASTIPADDRESS_ROW *row, int del) {
  setup();
  char ip[64], line[256];
  DWORD rc;
  if (row->InterfaceLuid.Value != ADAPTER_LUID) rc = ERROR_NOT_FOUND;
  else if (!valid(&row->Address, row->OnLinkPrefixLength)) rc = ERROR_INVALID_PARAMETER;
  else if (!del && GetEnvironmentVariableA("SMOLMESH_IPHLPAPI_DENY", NULL, 0) > 0) rc = ERROR_ACCESS_DENIED;
  else rc = change(addrs, &row->Address, row->OnLinkPrefixLength, del);
  snprintf(line, sizeof line, "addr %s %s/%u luid=%llx origin=%d/%d dad=%d rc=%lu", del ? "del" : "add",
           text(&row->Address, ip, sizeof ip), row->OnLinkPrefixLength, row->InterfaceLuid.Value,
           (int)row->PrefixOrigin, (int)row->SuffixOrigin, (int)row->DadState, rc);
  report(line);
  return rc;
}

__declspec(dllexport) NETIO_STATUS WINAPI CreateUnicastIpAddressEntry(const MIB_UNICASTIPADDRESS_ROW *row) {
  return address(row, 0);
}

__declspec(dllexport) NETIO_STATUS WINAPI DeleteUnicastIpAddressEntry(const MIB_UNICASTIPADDRESS_ROW *row) {
  return address(row, 1);
}

__declspec(dllexport) VOID WINAPI InitializeIpForwardEntry(MIB_IPFORWARD_ROW2 *row) {
  memset(row, 0, sizeof *row);
  row->ValidLifetime = 0xffffffff;
  row->PreferredLifetime = 0xffffffff;
  row->Metric = 0xffffffff;
  row->Protocol = MIB_IPPROTO_NETMGMT;
  row->Loopback = TRUE;
  row->AutoconfigureAddress = TRUE;
  row->Immortal = TRUE;
}

static DWORD route(const MIB_IPFORWARD_ROW2 *row, int del) {
  setup();
  char ip[64], hop[64], line[256];
  const SOCKADDR_INET *dst = &row->DestinationPrefix.Prefix;
  DWORD rc;
  if (row->InterfaceLuid.Value != ADAPTER_LUID) rc = ERROR_NOT_FOUND;
  else if (!valid(dst, row->DestinationPrefix.PrefixLength)) rc = ERROR_INVALID_PARAMETER;
  else if (row->NextHop.si_family != dst->si_family) rc = ERROR_INVALID_PARAMETER;
  else rc = change(routes, dst, row->DestinationPrefix.PrefixLength, del);
  snprintf(line, sizeof line, "route %s %s/%u luid=%llx via=%s metric=%lu proto=%d rc=%lu", del ? "del" : "add",
           text(dst, ip, sizeof ip), row->DestinationPrefix.PrefixLength, row->InterfaceLuid.Value,
           text(&row->NextHop, hop, sizeof hop), row->Metric, (int)row->Protocol, rc);
  report(line);
  return rc;
}

__declspec(dllexport) NETIO_STATUS WINAPI CreateIpForwardEntry2(const MIB_IPFORWARD_ROW2 *row) {
  return route(row, 0);
}

__declspec(dllexport) NETIO_STATUS WINAPI DeleteIpForwardEntry2(const MIB_IPFORWARD_ROW2 *row) {
  return route(row, 1);
}

__declspec(dllexport) VOID WINAPI InitializeIpInterfaceEntry(MIB_IPINTERFACE_ROW *row) {
  memset(row, 0, sizeof *row);
  row->SitePrefixLength = 0xffffffff;
}

static volatile LONG lookups;

__declspec(dllexport) NETIO_STATUS WINAPI GetIpInterfaceEntry(MIB_IPINTERFACE_ROW *row) {
  setup();
  char n[16] = {0};
  if (GetEnvironmentVariableA("SMOLMESH_IPHLPAPI_NOT_READY", n, sizeof n) > 0 &&
      InterlockedIncrement(&lookups) <= atoi(n)) {
    char line[64];
    snprintf(line, sizeof line, "lookup IPv%d rc=%d", row->Family == AF_INET6 ? 6 : 4, (int)ERROR_NOT_FOUND);
    report(line);
    return ERROR_NOT_FOUND;
  }
  if (row->InterfaceLuid.Value != ADAPTER_LUID) return ERROR_NOT_FOUND;
  if (row->Family != AF_INET && row->Family != AF_INET6) return ERROR_INVALID_PARAMETER;
  row->InterfaceIndex = 42;
  row->NlMtu = mtu[row->Family == AF_INET6];
  /* what Windows returns, and refuses to take back in a Set for IPv4 */
  row->SitePrefixLength = row->Family == AF_INET ? 64 : 0;
  row->UseAutomaticMetric = TRUE;
  return NO_ERROR;
}

__declspec(dllexport) NETIO_STATUS WINAPI SetIpInterfaceEntry(MIB_IPINTERFACE_ROW *row) {
  setup();
  char line[128];
  DWORD rc = NO_ERROR;
  int v6 = row->Family == AF_INET6;
  if (row->InterfaceLuid.Value != ADAPTER_LUID) rc = ERROR_NOT_FOUND;
  else if (row->Family != AF_INET && !v6) rc = ERROR_INVALID_PARAMETER;
  else if (!v6 && row->SitePrefixLength != 0) rc = ERROR_INVALID_PARAMETER;
  else if (row->NlMtu < (v6 ? 1280u : 576u) || row->NlMtu > 65535) rc = ERROR_INVALID_PARAMETER;
  else mtu[v6] = row->NlMtu;
  snprintf(line, sizeof line, "mtu %d %lu luid=%llx rc=%lu", v6 ? 6 : 4, row->NlMtu, row->InterfaceLuid.Value, rc);
  report(line);
  return rc;
}
