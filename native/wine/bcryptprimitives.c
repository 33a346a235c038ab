/*
 * A stand-in bcryptprimitives.dll for running smolmesh's Windows build
 * under Wine 8 (Debian 12), which lacks this DLL. Bun's Windows runtime
 * imports ProcessPrng from it (as Rust programs since 1.78 do); real
 * Windows 10 and later ship it. Built by test/setup/wine.sh with Debian's
 * mingw-w64 and placed in the test's Wine prefix only: it is never part of
 * smolmesh itself.
 */
#include <windows.h>

/* RtlGenRandom, exported by advapi32 as SystemFunction036. */
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
  while (len > 0) {
    ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
    if (!SystemFunction036(data, n)) return FALSE;
    data += n;
    len -= n;
  }
  return TRUE;
}
