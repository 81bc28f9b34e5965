using Isa.Runtime.Cpu;
using Isa.Runtime.Linux.Signals;

namespace Isa.Runtime.Linux;

/// <summary>
/// How a guest process ended: its exit status, or the signal that killed it (host numbering: what
/// the emulator itself should die by, as qemu-user does), with where and why.
/// </summary>
public sealed record GuestOutcome(int? ExitStatus, int Signal, CpuExit? Fault, ulong Pc, string? Registers, TimeSpan? Timeout)
{
    public static GuestOutcome Exited(int status) => new(status, 0, null, 0, null, null);

    /// <summary>Killed by a fault of its own instruction that no handler took.</summary>
    public static GuestOutcome Signaled(int signal, CpuExit fault, string registers) => new(null, signal, fault, fault.Pc, registers, null);

    /// <summary>Killed by a signal whose default action ends the process (<paramref name="pc"/>: where the guest was).</summary>
    public static GuestOutcome Killed(int signal, ulong pc, string registers) => new(null, signal, null, pc, registers, null);

    public static GuestOutcome TimedOut(ulong pc, TimeSpan limit) => new(null, 0, new CpuExit(TrapKind.BudgetExhausted, pc), pc, null, limit);

    /// <summary>The status a shell sees: the exit status, or 128 + signal, or 124 on timeout (as timeout(1)).</summary>
    public int ShellStatus => ExitStatus ?? (Timeout is not null ? 124 : 128 + Signal);

    /// <summary>Whether the emulator should end by <see cref="Signal"/> itself, so its parent sees the guest's status.</summary>
    public bool KilledBySignal => ExitStatus is null && Timeout is null && Signal > 0;

    /// <summary>
    /// What to tell the user when the guest did not exit by itself. As with qemu-user, a signal that
    /// merely terminates (SIGTERM, SIGPIPE, SIGALRM) says nothing: the shell reports it.
    /// </summary>
    public string? Message => Timeout is { } t
        ? $"guest still running after {t.TotalSeconds:0.###} s (pc 0x{Pc:x8}): stopped"
        : Fault is { } f
            ? $"guest killed by {HostSignal.Name(Signal)}: {f}\n{Registers}"
            : ExitStatus is null && HostSignal.DefaultAction(Signal) == SignalDefault.CoreDump
                ? $"guest killed by {HostSignal.Name(Signal)} at pc 0x{Pc:x8}\n{Registers}"
                : null;
}
