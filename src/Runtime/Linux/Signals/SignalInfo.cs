namespace Isa.Runtime.Linux.Signals;

/// <summary>
/// What the kernel tells a handler about a signal (<c>siginfo_t</c>), in guest signal numbering:
/// who sent it (<see cref="Pid"/>, <see cref="Uid"/> for kill and tgkill) or, for a fault of the
/// guest's own instruction, which address faulted.
/// </summary>
public readonly record struct SignalInfo(int Signal, int Code, bool IsFault, uint Address, int Pid, int Uid)
{
    // si_code values (include/uapi/asm-generic/siginfo.h).
    public const int User = 0, Kernel = 0x80, Tkill = -6;
    public const int IllOpcode = 1, FpeIntegerDivide = 1, FpeIntegerOverflow = 2, FpeFloatInvalid = 7;
    public const int SegvMapError = 1, SegvAccessError = 2, BusAlignment = 1, TrapBreakpoint = 1;

    public static SignalInfo Fault(int signal, int code, uint address) => new(signal, code, true, address, 0, 0);

    /// <summary>Sent by a process with kill (<see cref="User"/>) or tgkill (<see cref="Tkill"/>).</summary>
    public static SignalInfo FromProcess(int signal, int code, int pid, int uid) => new(signal, code, false, 0, pid, uid);

    /// <summary>Sent by the kernel itself (timers, SIGPIPE): no sender.</summary>
    public static SignalInfo FromKernel(int signal) => new(signal, Kernel, false, 0, 0, 0);
}
