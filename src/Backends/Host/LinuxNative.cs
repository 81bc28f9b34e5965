using System.Runtime.InteropServices;

namespace Isa.Backends.Host;

/// <summary>
/// The host Linux (x86-64) calls the execution host needs: memory mappings for code, the GS base,
/// signal actions. The only place in the backends that calls libc.
/// </summary>
internal static unsafe partial class LinuxNative
{
    public const int ProtNone = 0, ProtRead = 1, ProtWrite = 2, ProtExec = 4;
    public const int MapShared = 0x01, MapPrivate = 0x02, MapAnonymous = 0x20, MapNoReserve = 0x4000;
    public const int FallocPunchHole = 0x02, FallocKeepSize = 0x01;
    public const int MadvPopulateRead = 22, MadvPopulateWrite = 23;
    public const uint MfdCloexec = 1;
    public const long SysArchPrctl = 158, SysRtSigaction = 13, SysGetpid = 39, SysGettid = 186, SysTgkill = 234;
    public const int ArchSetGs = 0x1001, ArchGetGs = 0x1004;
    public const int SigBus = 7, SigSegv = 11;
    public const int SaSigInfo = 0x4, SaOnStack = 0x0800_0000, SaRestart = 0x1000_0000, SaNoDefer = 0x4000_0000;
    public const int SaResetHand = unchecked((int)0x8000_0000);

    /// <summary>True where this host's in-process primitives exist.</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    public static void RequireSupported(string what)
    {
        if (!IsSupported)
        {
            throw new PlatformNotSupportedException(
                $"{what} needs Linux on x86-64 (this host is {RuntimeInformation.OSDescription}, {RuntimeInformation.ProcessArchitecture})");
        }
    }

    public static InvalidOperationException Failure(string what)
        => new($"host {what} failed (errno {Marshal.GetLastPInvokeError()})");

    /// <summary>
    /// glibc's <c>struct sigaction</c> on x86-64 (152 bytes), which differs from the kernel's: a
    /// 128-byte <c>sigset_t</c> follows the handler, then an <c>int</c> of flags, then the restorer.
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 152)]
    public struct Sigaction
    {
        [FieldOffset(0)] public nint Handler;
        [FieldOffset(8)] public fixed ulong Mask[16];
        [FieldOffset(136)] public int Flags;
        [FieldOffset(144)] public nint Restorer;
    }

    [LibraryImport("libc", SetLastError = true)]
    public static partial void* mmap(void* addr, nuint length, int prot, int flags, int fd, nint offset);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int munmap(void* addr, nuint length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int mprotect(void* addr, nuint length, int prot);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int memfd_create(string name, uint flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int ftruncate(int fd, long length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int fallocate(int fd, int mode, long offset, long length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int madvise(void* addr, nuint length, int advice);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    public static partial long syscall(long number, long a, long b);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int sigaction(int signal, Sigaction* action, Sigaction* oldAction);
}
