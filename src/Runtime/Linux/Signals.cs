using Isa.Runtime.Cpu;

namespace Isa.Runtime.Linux;

/// <summary>The signal the Linux kernel sends for a CPU trap (generic numbering; MIPS shares these five).</summary>
public static class Signals
{
    public const int SIGILL = 4, SIGTRAP = 5, SIGBUS = 7, SIGFPE = 8, SIGSEGV = 11;

    public static int For(CpuExit exit) => exit.Kind switch
    {
        TrapKind.IllegalInstruction => SIGILL,
        TrapKind.Breakpoint or TrapKind.Trap => SIGTRAP,
        TrapKind.IntegerOverflow or TrapKind.FloatingPoint => SIGFPE,
        TrapKind.AddressError => SIGBUS,
        _ => SIGSEGV,
    };

    public static string Name(int signal) => signal switch
    {
        SIGILL => "SIGILL",
        SIGTRAP => "SIGTRAP",
        SIGBUS => "SIGBUS",
        SIGFPE => "SIGFPE",
        SIGSEGV => "SIGSEGV",
        _ => "signal " + signal,
    };
}
