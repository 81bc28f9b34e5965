using System.Runtime.ExceptionServices;

namespace Isa.Runtime.Linux;

/// <summary>
/// The threads of one guest process (Linux's thread group) and how the process ends: the first
/// of exit_group, the last thread's exit, a fatal signal or a timeout decides the outcome, and
/// every thread stops at its next syscall or instruction slice once it is decided.
/// </summary>
public sealed class GuestThreadGroup
{
    private readonly object _lock = new(); // a Monitor: WaitStopped sleeps on it
    private readonly Dictionary<int, LinuxKernel> _threads = new();
    private readonly CancellationTokenSource _ended = new();
    private GuestOutcome? _outcome;
    private ExceptionDispatchInfo? _failure;
    private int _running;

    /// <summary>Cancelled once the outcome is decided: blocking waits of guest threads observe it.</summary>
    public CancellationToken Ended => _ended.Token;

    public bool HasEnded => _ended.IsCancellationRequested;

    /// <summary>How the process ended; null while it runs.</summary>
    public GuestOutcome? Outcome
    {
        get
        {
            _failure?.Throw();
            return Volatile.Read(ref _outcome);
        }
    }

    /// <summary>Live guest threads (poll and select waits recheck for signals while there are others).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _threads.Count;
            }
        }
    }

    /// <summary>Decides the outcome unless it already is; true if this call decided it.</summary>
    public bool End(GuestOutcome outcome)
    {
        lock (_lock)
        {
            if (_outcome is not null || _failure is not null)
            {
                return false;
            }

            _outcome = outcome;
        }

        _ended.Cancel();
        return true;
    }

    /// <summary>A bug of the emulator on a guest thread: ends the process and rethrows on the thread waiting for it.</summary>
    public void Fail(Exception bug)
    {
        lock (_lock)
        {
            if (_outcome is not null || _failure is not null)
            {
                return;
            }

            _failure = ExceptionDispatchInfo.Capture(bug);
        }

        _ended.Cancel();
    }

    /// <summary>Host threads still running guest code or blocked in a syscall for it.</summary>
    public int Running
    {
        get
        {
            lock (_lock)
            {
                return _running;
            }
        }
    }

    /// <summary>Waits until every host thread of the group has stopped, for at most <paramref name="timeout"/>; true if they all did.</summary>
    public bool WaitStopped(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        lock (_lock)
        {
            while (_running > 0)
            {
                TimeSpan left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero)
                {
                    return false;
                }

                Monitor.Wait(_lock, left);
            }

            return true;
        }
    }

    internal void HostThreadStarted()
    {
        lock (_lock)
        {
            _running++;
        }
    }

    internal void HostThreadStopped()
    {
        lock (_lock)
        {
            _running--;
            Monitor.PulseAll(_lock);
        }
    }

    /// <summary>Waits for the outcome; false if <paramref name="timeout"/> passed first.</summary>
    public bool WaitEnded(TimeSpan? timeout) => _ended.Token.WaitHandle.WaitOne(timeout ?? Timeout.InfiniteTimeSpan);

    public void Add(int tid, LinuxKernel thread)
    {
        lock (_lock)
        {
            _threads.Add(tid, thread);
        }
    }

    /// <summary>Removes an exiting thread; true if it was the last one.</summary>
    public bool Remove(int tid)
    {
        lock (_lock)
        {
            _threads.Remove(tid);
            return _threads.Count == 0;
        }
    }

    /// <summary>The first thread that <paramref name="match"/> accepts, or null.</summary>
    public LinuxKernel? FirstThat(Func<LinuxKernel, bool> match)
    {
        lock (_lock)
        {
            foreach (LinuxKernel thread in _threads.Values)
            {
                if (match(thread))
                {
                    return thread;
                }
            }

            return null;
        }
    }

    public void ForEach(Action<LinuxKernel> action)
    {
        lock (_lock)
        {
            foreach (LinuxKernel thread in _threads.Values)
            {
                action(thread);
            }
        }
    }

    /// <summary>The sum of <paramref name="value"/> over the threads.</summary>
    public long Sum(Func<LinuxKernel, long> value)
    {
        lock (_lock)
        {
            long sum = 0;
            foreach (LinuxKernel thread in _threads.Values)
            {
                sum += value(thread);
            }

            return sum;
        }
    }

    public LinuxKernel? Find(int tid)
    {
        lock (_lock)
        {
            return _threads.GetValueOrDefault(tid);
        }
    }
}
