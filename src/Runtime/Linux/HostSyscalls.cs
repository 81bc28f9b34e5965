using System.Runtime.InteropServices;

namespace Isa.Runtime.Linux;

/// <summary>
/// Host Linux (x86-64) system calls, made directly as qemu-user does, so the host kernel gives
/// guest syscalls their exact semantics. Results follow the kernel convention: a value, or
/// <c>-errno</c> in host numbering. The only place that calls the host kernel for the guest.
/// </summary>
internal static unsafe partial class HostSyscalls
{
    public const int AtFdCwd = -100;

    // x86-64 syscall numbers.
    public const long Read = 0, Write = 1, Close = 3, Lseek = 8, Ioctl = 16, Pread64 = 17, Pwrite64 = 18, Readv = 19, Writev = 20;
    public const long Pipe2 = 293, Dup = 32, Dup3 = 292, Fcntl = 72, Getdents64 = 217, Getcwd = 79, Chdir = 80, Fchdir = 81;
    public const long Umask = 95, Uname = 63, Getrandom = 318, ClockGettime = 228, ClockGetres = 229, ClockNanosleep = 230, Nanosleep = 35;
    public const long Openat = 257, Mkdirat = 258, Unlinkat = 263, Renameat = 264, Linkat = 265, Symlinkat = 266, Readlinkat = 267;
    public const long Fchmodat = 268, Faccessat = 269, Utimensat = 280, Statx = 332, Fchownat = 260, Ftruncate = 77, Fsync = 74;
    public const long Poll = 7, Getpid = 39, Getppid = 110, Getuid = 102, Getgid = 104, Geteuid = 107, Getegid = 108;
    public const long Sysinfo = 99, Prlimit64 = 302, SchedYield = 24, Kill = 62, Gettid = 186, Getpgrp = 111, Setpgid = 109, Setsid = 112;
    public const long Ppoll = 271, Pause = 34, Tkill = 200, Tgkill = 234, RtSigaction = 13, RtSigprocmask = 14;
    public const long Fchmod = 91, Fchown = 93, Flock = 73, Fdatasync = 75, Sync = 162, Truncate = 76, Getpgid = 121, Getsid = 124;

    public static long Call(long number, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0, long f = 0)
    {
        long result = syscall(number, a, b, c, d, e, f);
        return result == -1 ? -Marshal.GetLastPInvokeError() : result;
    }

    /// <summary>Fills <paramref name="bytes"/> from the kernel's getrandom; false if it could not.</summary>
    public static bool TryGetRandom(Span<byte> bytes)
    {
        fixed (byte* p = bytes)
        {
            return Call(Getrandom, (long)p, bytes.Length) == bytes.Length;
        }
    }

    /// <summary>A syscall with a NUL-terminated path argument first (after an optional directory fd).</summary>
    public static long CallWithPath(long number, long dirFd, byte[] path, long b = 0, long c = 0, long d = 0)
    {
        fixed (byte* p = NulTerminated(path))
        {
            return Call(number, dirFd, (long)p, b, c, d);
        }
    }

    public static long CallWithTwoPaths(long number, long dirFd1, byte[] path1, long dirFd2, byte[] path2, long flags = 0)
    {
        fixed (byte* p1 = NulTerminated(path1))
        fixed (byte* p2 = NulTerminated(path2))
        {
            return Call(number, dirFd1, (long)p1, dirFd2, (long)p2, flags);
        }
    }

    public static byte[] NulTerminated(byte[] text)
    {
        var bytes = new byte[text.Length + 1];
        text.CopyTo(bytes, 0);
        return bytes;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial long syscall(long number, long a, long b, long c, long d, long e, long f);
}
