using Isa.Runtime.Cpu;

namespace Isa.Runtime.Linux;

/// <summary>How a guest process ended: its exit status, or the signal that killed it (with where and why).</summary>
public sealed record GuestOutcome(int? ExitStatus, int Signal, CpuExit? Fault, string? Registers, TimeSpan? Timeout)
{
    public static GuestOutcome Exited(int status) => new(status, 0, null, null, null);

    public static GuestOutcome Signaled(int signal, CpuExit fault, string registers) => new(null, signal, fault, registers, null);

    /// <summary>Ended by a signal sent to it (tgkill, kill) rather than by a fault of its own.</summary>
    public static GuestOutcome Killed(int signal) => new(null, signal, null, null, null);

    public static GuestOutcome TimedOut(ulong pc, TimeSpan limit) => new(null, 0, new CpuExit(TrapKind.BudgetExhausted, pc), null, limit);

    /// <summary>The status a shell sees: the exit status, or 128 + signal, or 124 on timeout (as timeout(1)).</summary>
    public int ShellStatus => ExitStatus ?? (Timeout is not null ? 124 : 128 + Signal);

    /// <summary>What to tell the user when the guest did not exit by itself.</summary>
    public string? Message => Timeout is { } t
        ? $"guest still running after {t.TotalSeconds:0.###} s (pc 0x{Fault!.Value.Pc:x8}): stopped"
        : Fault is { } f
            ? $"guest killed by {Signals.Name(Signal)}: {f}\n{Registers}"
            : ExitStatus is null ? $"guest killed by {Signals.Name(Signal)}" : null;
}
