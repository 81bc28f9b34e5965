namespace Isa.Runtime.Linux;

/// <summary>Ends the emulator the way its guest ended, so a parent's wait status says what the guest's would.</summary>
public static class HostExit
{
    /// <summary>
    /// Kills this process with <paramref name="hostSignal"/> at its default action (as qemu-user
    /// does for a guest's fatal signal), without a core file. Returns if the signal does not end
    /// a process by default.
    /// </summary>
    public static unsafe void BySignal(int hostSignal)
    {
        if (hostSignal is <= 0 or >= 65 or (>= 19 and <= 22))
        {
            return; // not a signal, or one that would stop the emulator instead of ending it
        }

        ulong* limit = stackalloc ulong[2];
        limit[0] = limit[1] = 0;
        HostSyscalls.Call(HostSyscalls.Prlimit64, 0, 4 /* RLIMIT_CORE */, (nint)limit, 0);

        // x86-64 struct kernel_sigaction: handler, flags, restorer, mask. The .NET runtime's own
        // handlers (SIGSEGV, SIGABRT ...) must not see this signal.
        ulong* action = stackalloc ulong[4];
        action[0] = action[1] = action[2] = action[3] = 0; // SIG_DFL
        HostSyscalls.Call(13 /* rt_sigaction */, hostSignal, (nint)action, 0, 8);
        ulong mask = 1UL << (hostSignal - 1);
        HostSyscalls.Call(14 /* rt_sigprocmask */, 1 /* SIG_UNBLOCK */, (nint)(&mask), 0, 8);
        HostSyscalls.Call(234 /* tgkill */, Environment.ProcessId, HostSyscalls.Call(HostSyscalls.Gettid), hostSignal);
    }
}
