namespace Isa.Runtime.Linux;

/// <summary>
/// The guest's file descriptors, each backed by a host descriptor of its own: the guest numbers
/// its files as a kernel would (lowest free first) and can never close one of the host
/// runtime's descriptors. Host descriptors are all close-on-exec; the guest's own FD_CLOEXEC
/// flag is kept here and decides what a forked or executed emulator inherits. Threads share it.
/// </summary>
public sealed class FileTable
{
    private readonly Lock _lock = new();
    private readonly List<int> _hostFds = new();
    private readonly List<bool> _closeOnExec = new();

    /// <summary>Gives the guest copies of the host's stdin, stdout and stderr as fds 0, 1 and 2.</summary>
    public static FileTable WithStandardStreams()
    {
        var table = new FileTable();
        for (int fd = 0; fd < 3; fd++)
        {
            long copy = HostSyscalls.Call(HostSyscalls.Fcntl, fd, 1030 /* F_DUPFD_CLOEXEC */, 100);
            table.Set((uint)fd, copy >= 0 ? (int)copy : -1, closeOnExec: false);
        }

        return table;
    }

    /// <summary>
    /// Takes over host fds inherited from the emulator that forked or executed this one, as
    /// (guest fd, host fd, close-on-exec); they are made close-on-exec on the host again.
    /// </summary>
    public static FileTable Inherited(IEnumerable<(int Guest, int Host, bool CloseOnExec)> fds)
    {
        var table = new FileTable();
        foreach ((int guest, int host, bool closeOnExec) in fds)
        {
            HostSyscalls.Call(HostSyscalls.Fcntl, host, 2 /* F_SETFD */, 1 /* FD_CLOEXEC */);
            table.Set((uint)guest, host, closeOnExec);
        }

        return table;
    }

    /// <summary>The host fd behind a guest fd, or -1.</summary>
    public int Host(uint guestFd)
    {
        lock (_lock)
        {
            return guestFd < _hostFds.Count ? _hostFds[(int)guestFd] : -1;
        }
    }

    /// <summary>Every open guest fd as (guest fd, host fd, close-on-exec).</summary>
    public List<(int Guest, int Host, bool CloseOnExec)> Snapshot()
    {
        lock (_lock)
        {
            var fds = new List<(int, int, bool)>();
            for (int i = 0; i < _hostFds.Count; i++)
            {
                if (_hostFds[i] >= 0)
                {
                    fds.Add((i, _hostFds[i], _closeOnExec[i]));
                }
            }

            return fds;
        }
    }

    /// <summary>Registers a host fd as the lowest free guest fd at or above <paramref name="minimum"/>.</summary>
    public int Add(int hostFd, int minimum = 0, bool closeOnExec = false)
    {
        lock (_lock)
        {
            for (int i = minimum; i < _hostFds.Count; i++)
            {
                if (_hostFds[i] < 0)
                {
                    _hostFds[i] = hostFd;
                    _closeOnExec[i] = closeOnExec;
                    return i;
                }
            }

            Grow(Math.Max(minimum, _hostFds.Count) + 1);
            _hostFds[^1] = hostFd;
            _closeOnExec[^1] = closeOnExec;
            return _hostFds.Count - 1;
        }
    }

    /// <summary>Makes <paramref name="guestFd"/> refer to <paramref name="hostFd"/>, closing what it referred to.</summary>
    public void Set(uint guestFd, int hostFd, bool closeOnExec = false)
    {
        int previous;
        lock (_lock)
        {
            Grow((int)guestFd + 1);
            previous = _hostFds[(int)guestFd];
            _hostFds[(int)guestFd] = hostFd;
            _closeOnExec[(int)guestFd] = closeOnExec;
        }

        if (previous >= 0)
        {
            HostSyscalls.Call(HostSyscalls.Close, previous);
        }
    }

    /// <summary>The guest's FD_CLOEXEC flag of <paramref name="guestFd"/>, or null if it is not open.</summary>
    public bool? CloseOnExec(uint guestFd)
    {
        lock (_lock)
        {
            return guestFd < _hostFds.Count && _hostFds[(int)guestFd] >= 0 ? _closeOnExec[(int)guestFd] : null;
        }
    }

    public bool SetCloseOnExec(uint guestFd, bool value)
    {
        lock (_lock)
        {
            if (guestFd >= _hostFds.Count || _hostFds[(int)guestFd] < 0)
            {
                return false;
            }

            _closeOnExec[(int)guestFd] = value;
            return true;
        }
    }

    public long Close(uint guestFd)
    {
        int host;
        lock (_lock)
        {
            host = guestFd < _hostFds.Count ? _hostFds[(int)guestFd] : -1;
            if (host < 0)
            {
                return -(long)Errno.EBADF;
            }

            _hostFds[(int)guestFd] = -1;
        }

        return HostSyscalls.Call(HostSyscalls.Close, host);
    }

    public void CloseAll()
    {
        foreach ((int guest, _, _) in Snapshot())
        {
            Close((uint)guest);
        }
    }

    private void Grow(int count)
    {
        while (_hostFds.Count < count)
        {
            _hostFds.Add(-1);
            _closeOnExec.Add(false);
        }
    }
}
