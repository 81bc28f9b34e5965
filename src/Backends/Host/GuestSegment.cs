using System.Runtime.CompilerServices;

namespace Isa.Backends.Host;

/// <summary>
/// The GS segment base of the calling host thread: JIT code addresses guest memory as
/// <c>gs:[e32]</c>, so GS must hold the guest window's base on every thread that runs it.
/// Setting it is a raw <c>arch_prctl(ARCH_SET_GS)</c> (~8.5 us; user-space WRGSBASE is off on our
/// hosts), so the value is cached per thread and setting the same base again costs nothing.
/// </summary>
/// <remarks>
/// GS is free in a .NET process on Linux x86-64 (glibc and the runtime use FS for TLS). Nothing
/// but this class may change GS, or the per-thread cache goes stale.
/// </remarks>
public static class GuestSegment
{
    // The base this thread last set; 0 = not set by us (a base of 0 is then always set again).
    [ThreadStatic]
    private static nint t_base;

    /// <summary>Makes <paramref name="windowBase"/> the calling thread's GS base.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void EnsureGsBase(nint windowBase)
    {
        if (t_base != windowBase || windowBase == 0)
        {
            SetGsBase(windowBase);
        }
    }

    /// <summary>Reads the calling thread's GS base from the kernel (ARCH_GET_GS).</summary>
    public static unsafe nint CurrentGsBase()
    {
        LinuxNative.RequireSupported("reading the GS base");
        nint value = 0;
        if (LinuxNative.syscall(LinuxNative.SysArchPrctl, LinuxNative.ArchGetGs, (long)&value) != 0)
        {
            throw LinuxNative.Failure("arch_prctl(ARCH_GET_GS)");
        }

        return value;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SetGsBase(nint windowBase)
    {
        LinuxNative.RequireSupported("GS-based guest memory (arch_prctl ARCH_SET_GS); the base-register mode serves other hosts");
        t_base = 0;
        if (LinuxNative.syscall(LinuxNative.SysArchPrctl, LinuxNative.ArchSetGs, windowBase) != 0)
        {
            throw LinuxNative.Failure($"arch_prctl(ARCH_SET_GS, 0x{windowBase:x})");
        }

        t_base = windowBase;
    }
}
