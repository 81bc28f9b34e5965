using Isa.Runtime.Cpu;

namespace Isa.Runtime.Linux.Signals;

/// <summary>
/// Signals in the host's (x86-64, asm-generic) numbering: the kernel emulation decides default
/// actions and how the emulator itself dies in these terms; each <see cref="LinuxAbi"/> maps its
/// guest's numbers to them (MIPS numbers BUS, USR1, CHLD and others differently).
/// </summary>
public static class HostSignal
{
    public const int SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGILL = 4, SIGTRAP = 5, SIGABRT = 6, SIGBUS = 7, SIGFPE = 8;
    public const int SIGKILL = 9, SIGUSR1 = 10, SIGSEGV = 11, SIGUSR2 = 12, SIGPIPE = 13, SIGALRM = 14, SIGTERM = 15;
    public const int SIGSTKFLT = 16, SIGCHLD = 17, SIGCONT = 18, SIGSTOP = 19, SIGTSTP = 20, SIGTTIN = 21, SIGTTOU = 22;
    public const int SIGURG = 23, SIGXCPU = 24, SIGXFSZ = 25, SIGVTALRM = 26, SIGPROF = 27, SIGWINCH = 28, SIGIO = 29;
    public const int SIGPWR = 30, SIGSYS = 31, SIGRTMIN = 32, SIGRTMAX = 64;

    private static readonly string[] Names =
    [
        "", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1",
        "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP",
        "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
    ];

    /// <summary>The signal the Linux kernel sends for a CPU trap, and the <c>si_code</c> it reports.</summary>
    /// <param name="exit">The trap.</param>
    /// <param name="mapped">Whether the faulting address is mapped (SEGV_ACCERR rather than SEGV_MAPERR).</param>
    public static (int Signal, int Code) ForTrap(CpuExit exit, bool mapped) => exit.Kind switch
    {
        TrapKind.IllegalInstruction => (SIGILL, SignalInfo.IllOpcode),
        TrapKind.IntegerOverflow => (SIGFPE, SignalInfo.FpeIntegerOverflow),
        TrapKind.FloatingPoint => (SIGFPE, SignalInfo.FpeFloatInvalid),
        TrapKind.AddressError => (SIGBUS, SignalInfo.BusAlignment),
        TrapKind.Breakpoint or TrapKind.Trap => ForBreakCode(exit),
        _ => (SIGSEGV, mapped ? SignalInfo.SegvAccessError : SignalInfo.SegvMapError),
    };

    /// <summary>What a signal does when its disposition is the default one.</summary>
    public static SignalDefault DefaultAction(int hostSignal) => hostSignal switch
    {
        SIGCHLD or SIGURG or SIGWINCH => SignalDefault.Ignore,
        SIGCONT => SignalDefault.Continue,
        SIGSTOP or SIGTSTP or SIGTTIN or SIGTTOU => SignalDefault.Stop,
        SIGQUIT or SIGILL or SIGTRAP or SIGABRT or SIGBUS or SIGFPE or SIGSEGV or SIGXCPU or SIGXFSZ or SIGSYS => SignalDefault.CoreDump,
        _ => SignalDefault.Terminate,
    };

    public static string Name(int hostSignal) => hostSignal switch
    {
        > 0 and < SIGRTMIN => Names[hostSignal],
        >= SIGRTMIN and <= SIGRTMAX => $"SIGRT_{hostSignal - SIGRTMIN}",
        _ => "signal " + hostSignal,
    };

    /// <summary>
    /// Linux MIPS's rule for <c>break</c> and conditional traps (arch/mips/kernel/traps.c do_bp/do_tr):
    /// code 6 is an overflow check and 7 a division by zero (gcc's <c>teq divisor, zero, 7</c>), both
    /// SIGFPE; anything else is SIGTRAP. A <c>break</c> code above 10 bits is the assemblers' old
    /// placement in the upper half and is swapped back first.
    /// </summary>
    private static (int Signal, int Code) ForBreakCode(CpuExit exit)
    {
        ulong code = exit.Value;
        if (exit.Kind == TrapKind.Breakpoint && code >= 1 << 10)
        {
            code = ((code & 0x3ff) << 10) | (code >> 10);
        }

        return code switch
        {
            6 => (SIGFPE, SignalInfo.FpeIntegerOverflow),
            7 => (SIGFPE, SignalInfo.FpeIntegerDivide),
            _ => (SIGTRAP, SignalInfo.TrapBreakpoint),
        };
    }
}
