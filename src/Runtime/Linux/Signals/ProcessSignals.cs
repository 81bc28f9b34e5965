namespace Isa.Runtime.Linux.Signals;

/// <summary>
/// The signal state Linux keeps per process (shared by its threads): dispositions, signals sent
/// to the process as a whole, the interval timers, and where the sigreturn trampoline is mapped.
/// Blocked masks, alternate stacks and thread-directed signals are in <see cref="ThreadSignals"/>.
/// Guest threads share it: <see cref="Lock"/> guards it, and every thread's pending set and mask.
/// </summary>
public sealed class ProcessSignals
{
    private readonly SignalAction[] _actions;

    public ProcessSignals(int signalCount)
    {
        SignalCount = signalCount;
        _actions = new SignalAction[signalCount + 1];
        Pending = new PendingSignals(signalCount);
    }

    /// <summary>The highest guest signal number (128 on MIPS, 64 elsewhere).</summary>
    public int SignalCount { get; }

    /// <summary>Held while any signal state of the process or of one of its threads is read or changed.</summary>
    public Lock Lock { get; } = new();

    public PendingSignals Pending { get; }

    /// <summary>ITIMER_REAL, ITIMER_VIRTUAL and ITIMER_PROF, by their <c>which</c> number.</summary>
    public IntervalTimer[] Timers { get; } =
    [
        new(1 /* CLOCK_MONOTONIC */, HostSignal.SIGALRM),
        new(IntervalTimer.GuestCpuClock, HostSignal.SIGVTALRM),
        new(IntervalTimer.GuestCpuClock, HostSignal.SIGPROF),
    ];

    /// <summary>CPU time (ns) that exited guest threads used, which the CPU-time timers still count.</summary>
    public long ExitedThreadsCpuTime { get; set; }

    /// <summary>Host signals from outside that the guest handles or ignores.</summary>
    public HostSignalForwarding Forwarding { get; } = new();

    /// <summary>The guest address of the sigreturn trampoline, once mapped (0 before).</summary>
    public uint Trampoline { get; set; }

    public ref SignalAction Action(int signal) => ref _actions[signal];
}
