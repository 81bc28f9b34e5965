namespace Isa.Runtime.Linux.Signals;

/// <summary>
/// One of a process's interval timers (setitimer/alarm): a deadline on its clock and a reload
/// interval, in nanoseconds. Expiry is noticed by the kernel emulation between execution slices
/// and inside the waits it does for the guest, not by a host signal.
/// </summary>
public sealed class IntervalTimer(int hostClock, int hostSignal)
{
    /// <summary>
    /// Not a host clock: the CPU time of the guest's threads (ITIMER_VIRTUAL, ITIMER_PROF), which the
    /// kernel emulation sums over their host threads, leaving out the runtime's own helper threads.
    /// </summary>
    public const int GuestCpuClock = -1;

    /// <summary>The host clock it counts on (CLOCK_MONOTONIC for ITIMER_REAL), or <see cref="GuestCpuClock"/>.</summary>
    public int HostClock { get; } = hostClock;

    /// <summary>The signal it sends on expiry, in host numbering.</summary>
    public int HostSignal { get; } = hostSignal;

    /// <summary>Absolute expiry time on <see cref="HostClock"/>, or 0 when disarmed.</summary>
    public long Deadline { get; private set; }

    public long Interval { get; private set; }

    public bool IsArmed => Deadline != 0;

    /// <summary>Arms (or with a zero <paramref name="value"/> disarms) the timer.</summary>
    public void Set(long now, long value, long interval)
    {
        Deadline = value > 0 ? now + value : 0;
        Interval = value > 0 ? interval : 0;
    }

    /// <summary>Time left (at least 1 ns while armed, so an overdue timer still reads as armed).</summary>
    public long Remaining(long now) => IsArmed ? Math.Max(1, Deadline - now) : 0;

    /// <summary>Whether the timer expired by <paramref name="now"/>; if so it reloads or disarms.</summary>
    public bool Expire(long now)
    {
        if (!IsArmed || now < Deadline)
        {
            return false;
        }

        if (Interval > 0)
        {
            // Expirations missed while the guest was not looking merge into one signal, as pending signals do.
            long missed = ((now - Deadline) / Interval) + 1;
            Deadline += missed * Interval;
        }
        else
        {
            Deadline = 0;
        }

        return true;
    }
}
