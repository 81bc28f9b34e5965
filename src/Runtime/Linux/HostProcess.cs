namespace Isa.Runtime.Linux;

/// <summary>The emulator's own process, for ending it the way the guest ended.</summary>
public static unsafe class HostProcess
{
    private const int RlimitCore = 4, SigUnblock = 1;

    /// <summary>
    /// Ends this process by <paramref name="hostSignal"/>, so its parent sees the status of a guest
    /// killed by that signal, as qemu-user does: no core dump of the emulator, the host runtime's
    /// handler (.NET catches SIGSEGV and others) replaced by the default action, the signal unblocked
    /// and sent to this thread. Returns only if the signal does not end a process by default.
    /// </summary>
    public static void ExitBySignal(int hostSignal)
    {
        if (hostSignal is <= 0 or > 64 or (>= 19 and <= 22))
        {
            return; // not a signal, or one that would stop the emulator instead of ending it
        }

        ulong* limit = stackalloc ulong[2];
        if (HostSyscalls.Call(HostSyscalls.Prlimit64, 0, RlimitCore, 0, (nint)limit) == 0)
        {
            limit[0] = 0;
            HostSyscalls.Call(HostSyscalls.Prlimit64, 0, RlimitCore, (nint)limit, 0);
        }

        ulong* action = stackalloc ulong[4]; // x86-64 kernel sigaction: handler (SIG_DFL), flags, restorer, mask
        action[0] = action[1] = action[2] = action[3] = 0;
        HostSyscalls.Call(HostSyscalls.RtSigaction, hostSignal, (nint)action, 0, 8);
        ulong set = 1UL << (hostSignal - 1);
        HostSyscalls.Call(HostSyscalls.RtSigprocmask, SigUnblock, (nint)(&set), 0, 8);
        HostSyscalls.Call(HostSyscalls.Tgkill, HostSyscalls.Call(HostSyscalls.Getpid), HostSyscalls.Call(HostSyscalls.Gettid), hostSignal);
    }
}
