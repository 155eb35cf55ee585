/* ProcessPrng for Wine 8, which lacks it: Rust's standard library on Windows takes its random
 * bytes from bcryptprimitives.dll!ProcessPrng (Windows 10 and later). Only the test runs
 * under Wine use this; Windows itself has the real one. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length); /* RtlGenRandom, advapi32 */

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x7fffffff ? 0x7fffffff : (ULONG)length;
        if (!SystemFunction036(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
