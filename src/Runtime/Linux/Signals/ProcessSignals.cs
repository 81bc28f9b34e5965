namespace Isa.Runtime.Linux.Signals;

/// <summary>
/// The signal state Linux keeps per process (shared by its threads): dispositions, signals sent
/// to the process as a whole, the interval timers, and where the sigreturn trampoline is mapped.
/// Blocked masks, alternate stacks and thread-directed signals are in <see cref="ThreadSignals"/>.
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

    public PendingSignals Pending { get; }

    /// <summary>ITIMER_REAL, ITIMER_VIRTUAL and ITIMER_PROF, by their <c>which</c> number.</summary>
    public IntervalTimer[] Timers { get; } =
    [
        new(1 /* CLOCK_MONOTONIC */, HostSignal.SIGALRM),
        new(3 /* CLOCK_THREAD_CPUTIME_ID: the thread running the guest, not the runtime's helpers */, HostSignal.SIGVTALRM),
        new(2 /* CLOCK_PROCESS_CPUTIME_ID */, HostSignal.SIGPROF),
    ];

    /// <summary>Host signals from outside that the guest handles or ignores.</summary>
    public HostSignalForwarding Forwarding { get; } = new();

    /// <summary>The guest address of the sigreturn trampoline, once mapped (0 before).</summary>
    public uint Trampoline { get; set; }

    public ref SignalAction Action(int signal) => ref _actions[signal];
}
