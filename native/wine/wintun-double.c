/*
 * A test double of wintun.dll (the Wintun API, https://www.wintun.net),
 * for running smolmesh's Windows TUN path under Wine, where no Wintun
 * driver exists. It implements the calls smolmesh makes and exchanges the
 * "TUN" packets with the test over UDP on loopback:
 *
 *   - the test listens on 127.0.0.1:$SMOLMESH_WINTUN_TEST_PORT;
 *   - WintunStartSession sends it "hello NAME" (the adapter's name) from
 *     the session's own UDP port;
 *   - each datagram the test sends there is a packet for WintunReceivePacket
 *     (a thread queues it and sets the read-wait event, an auto-reset event
 *     as Wintun's is: a wait consumes the signal, so a reader that stops
 *     before the ring is empty gets no second one);
 *   - a datagram "burst:NNN:" + packet queues NNN copies of the packet at
 *     once and signals the event once, as a driver that fills its ring
 *     before the reader wakes; copy i carries i in its last two bytes (big
 *     endian), so the mesh's duplicate filter lets every copy through;
 *   - each WintunSendPacket is sent to the test as one datagram.
 *
 * Built by the tests with Debian's mingw-w64; never shipped.
 */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <stdlib.h>
#include <string.h>

typedef struct adapter {
  WCHAR name[128];
  HANDLE exists; /* a named mutex: the adapter exists while some process has it open */
} adapter;

static void object_name(WCHAR *out, const WCHAR *prefix, LPCWSTR name) {
  lstrcpynW(out, prefix, 40);
  wcsncat(out, name, 127);
}

typedef struct item {
  struct item *next;
  DWORD size;
  BYTE data[];
} item;

typedef struct session {
  HANDLE owner; /* a named mutex: one session per adapter, across processes, as Wintun allows */
  SOCKET sock;
  struct sockaddr_in test;
  HANDLE event;
  HANDLE thread;
  CRITICAL_SECTION lock;
  item *head, *tail;
  volatile LONG stop;
} session;

static DWORD WINAPI receiver(LPVOID arg) {
  session *s = (session *)arg;
  static BYTE buf[65536];
  while (!s->stop) {
    int n = recv(s->sock, (char *)buf, sizeof buf, 0);
    if (n <= 0) {
      if (s->stop) break;
      Sleep(1);
      continue;
    }
    int copies = 1, skip = 0;
    if (n > 10 && memcmp(buf, "burst:", 6) == 0 && buf[9] == ':') {
      copies = (buf[6] - '0') * 100 + (buf[7] - '0') * 10 + (buf[8] - '0');
      skip = 10;
    }
    EnterCriticalSection(&s->lock);
    for (int c = 0; c < copies; c++) {
      item *it = (item *)malloc(sizeof(item) + n - skip);
      it->next = NULL;
      it->size = (DWORD)(n - skip);
      memcpy(it->data, buf + skip, n - skip);
      if (skip) {
        it->data[it->size - 2] = (BYTE)(c >> 8);
        it->data[it->size - 1] = (BYTE)c;
      }
      if (s->tail) s->tail->next = it; else s->head = it;
      s->tail = it;
    }
    LeaveCriticalSection(&s->lock);
    SetEvent(s->event);
  }
  return 0;
}

__declspec(dllexport) void *WINAPI WintunCreateAdapter(LPCWSTR name, LPCWSTR type, const GUID *guid) {
  (void)type;
  (void)guid;
  if (GetEnvironmentVariableA("SMOLMESH_WINTUN_DENY", NULL, 0) > 0) {
    SetLastError(ERROR_ACCESS_DENIED);
    return NULL;
  }
  adapter *a = (adapter *)calloc(1, sizeof(adapter));
  lstrcpynW(a->name, name, 128);
  WCHAR obj[170];
  object_name(obj, L"Local\\wintun-double-adapter-", name);
  a->exists = CreateMutexW(NULL, FALSE, obj);
  return a;
}

/*
 * An adapter of that name exists while another process has it (a running
 * node), or, when the test says so, as left behind by a run that crashed.
 */
__declspec(dllexport) void *WINAPI WintunOpenAdapter(LPCWSTR name) {
  WCHAR obj[170];
  object_name(obj, L"Local\\wintun-double-adapter-", name);
  HANDLE other = OpenMutexW(SYNCHRONIZE, FALSE, obj);
  if (other) CloseHandle(other);
  if (!other && GetEnvironmentVariableA("SMOLMESH_WINTUN_LEFTOVER", NULL, 0) == 0) {
    SetLastError(ERROR_FILE_NOT_FOUND);
    return NULL;
  }
  return WintunCreateAdapter(name, L"", NULL);
}

__declspec(dllexport) void WINAPI WintunCloseAdapter(void *a) {
  CloseHandle(((adapter *)a)->exists);
  free(a);
}

__declspec(dllexport) void WINAPI WintunGetAdapterLUID(void *a, ULONG64 *luid) {
  (void)a;
  *luid = 0x0006000000000000ULL | 42; /* IF_TYPE_PROP_VIRTUAL-ish, index 42 */
}

__declspec(dllexport) DWORD WINAPI WintunGetRunningDriverVersion(void) {
  return 0x000e0000; /* 0.14 */
}

__declspec(dllexport) void *WINAPI WintunStartSession(void *a, DWORD capacity) {
  (void)capacity;
  WCHAR lock[170];
  object_name(lock, L"Local\\wintun-double-session-", ((adapter *)a)->name);
  HANDLE owner = CreateMutexW(NULL, FALSE, lock);
  if (owner && GetLastError() == ERROR_ALREADY_EXISTS) {
    CloseHandle(owner);
    SetLastError(ERROR_ALREADY_EXISTS);
    return NULL;
  }
  char port[16] = {0};
  if (GetEnvironmentVariableA("SMOLMESH_WINTUN_TEST_PORT", port, sizeof port) == 0) {
    CloseHandle(owner);
    SetLastError(ERROR_FILE_NOT_FOUND);
    return NULL;
  }
  WSADATA wsa;
  WSAStartup(MAKEWORD(2, 2), &wsa);
  session *s = (session *)calloc(1, sizeof(session));
  s->owner = owner;
  InitializeCriticalSection(&s->lock);
  s->event = CreateEventW(NULL, FALSE, FALSE, NULL);
  s->sock = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
  struct sockaddr_in me = {0};
  me.sin_family = AF_INET;
  me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(s->sock, (struct sockaddr *)&me, sizeof me);
  s->test.sin_family = AF_INET;
  s->test.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  s->test.sin_port = htons((u_short)atoi(port));
  char hello[6 + 4 * 128] = "hello ";
  WideCharToMultiByte(CP_UTF8, 0, ((adapter *)a)->name, -1, hello + 6, sizeof hello - 6, NULL, NULL);
  sendto(s->sock, hello, (int)strlen(hello), 0, (struct sockaddr *)&s->test, sizeof s->test);
  s->thread = CreateThread(NULL, 0, receiver, s, 0, NULL);
  return s;
}

__declspec(dllexport) void WINAPI WintunEndSession(void *p) {
  session *s = (session *)p;
  s->stop = 1;
  closesocket(s->sock);
  WaitForSingleObject(s->thread, 1000);
  CloseHandle(s->event);
  CloseHandle(s->owner);
  free(s);
}

__declspec(dllexport) HANDLE WINAPI WintunGetReadWaitEvent(void *p) {
  return ((session *)p)->event;
}

__declspec(dllexport) BYTE *WINAPI WintunReceivePacket(void *p, DWORD *size) {
  session *s = (session *)p;
  EnterCriticalSection(&s->lock);
  item *it = s->head;
  if (it) {
    s->head = it->next;
    if (!s->head) s->tail = NULL;
  }
  LeaveCriticalSection(&s->lock);
  if (!it) {
    SetLastError(ERROR_NO_MORE_ITEMS);
    return NULL;
  }
  *size = it->size;
  return it->data;
}

__declspec(dllexport) void WINAPI WintunReleaseReceivePacket(void *p, const BYTE *packet) {
  (void)p;
  free((BYTE *)packet - offsetof(item, data));
}

__declspec(dllexport) BYTE *WINAPI WintunAllocateSendPacket(void *p, DWORD size) {
  (void)p;
  item *it = (item *)malloc(sizeof(item) + size);
  it->size = size;
  return it->data;
}

__declspec(dllexport) void WINAPI WintunSendPacket(void *p, const BYTE *packet) {
  session *s = (session *)p;
  item *it = (item *)(packet - offsetof(item, data));
  sendto(s->sock, (const char *)it->data, (int)it->size, 0, (struct sockaddr *)&s->test, sizeof s->test);
  free(it);
}
