namespace Isa.Runtime.Linux.Signals;

/// <summary>The signal state Linux keeps per thread: its blocked mask, alternate stack and the signals sent to it alone (tgkill).</summary>
public sealed class ThreadSignals(int signalCount)
{
    public SignalSet Blocked { get; set; }

    public SignalStack AltStack { get; set; } = SignalStack.Disabled;

    public PendingSignals Pending { get; } = new(signalCount);

    /// <summary>
    /// The mask to restore once a syscall that waits under a temporary mask (sigsuspend, ppoll,
    /// pselect6) returns: the frame of a handler it lets run saves this one instead.
    /// </summary>
    public SignalSet? SavedMask { get; set; }
}
