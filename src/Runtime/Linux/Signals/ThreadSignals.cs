namespace Isa.Runtime.Linux.Signals;

/// <summary>
/// The signal state Linux keeps per thread: its blocked mask, alternate stack and the signals sent to
/// it alone (tgkill). Only its own thread changes the mask, under the process's signal lock, so other
/// threads choosing a target for a process-directed signal read it consistently under that lock.
/// </summary>
public sealed class ThreadSignals(int signalCount, Lock processLock)
{
    private SignalSet _blocked;
    private SignalSet _awaited;

    public SignalSet Blocked
    {
        get => _blocked;
        set
        {
            lock (processLock)
            {
                _blocked = value;
            }
        }
    }

    /// <summary>The signals the thread waits for in sigtimedwait (blocked meanwhile, but theirs to take).</summary>
    public SignalSet Awaited
    {
        get => _awaited;
        set
        {
            lock (processLock)
            {
                _awaited = value;
            }
        }
    }

    public SignalStack AltStack { get; set; } = SignalStack.Disabled;

    /// <summary>Whether a process-directed <paramref name="signal"/> may go to this thread (read under the signal lock).</summary>
    public bool Wants(int signal) => !_blocked.Contains(signal) || _awaited.Contains(signal);

    /// <summary>Signals sent to this thread alone; changed under the process's signal lock.</summary>
    public PendingSignals Pending { get; } = new(signalCount);

    /// <summary>
    /// The mask to restore once a syscall that waits under a temporary mask (sigsuspend, ppoll,
    /// pselect6) returns: the frame of a handler it lets run saves this one instead.
    /// </summary>
    public SignalSet? SavedMask { get; set; }
}
