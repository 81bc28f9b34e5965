namespace Isa.Runtime.Linux;

/// <summary>
/// The guest's file descriptors, each backed by a host descriptor of its own: the guest numbers
/// its files as a kernel would (lowest free first) and can never close one of the host
/// runtime's descriptors.
/// </summary>
public sealed class FileTable
{
    private readonly List<int> _hostFds = new();

    /// <summary>Gives the guest copies of the host's stdin, stdout and stderr as fds 0, 1 and 2.</summary>
    public static FileTable WithStandardStreams()
    {
        var table = new FileTable();
        for (int fd = 0; fd < 3; fd++)
        {
            long copy = HostSyscalls.Call(HostSyscalls.Fcntl, fd, 1030 /* F_DUPFD_CLOEXEC */, 100);
            table._hostFds.Add(copy >= 0 ? (int)copy : -1);
        }

        return table;
    }

    /// <summary>The host fd behind a guest fd, or -1.</summary>
    public int Host(uint guestFd) => guestFd < _hostFds.Count ? _hostFds[(int)guestFd] : -1;

    /// <summary>Registers a host fd as the lowest free guest fd at or above <paramref name="minimum"/>.</summary>
    public int Add(int hostFd, int minimum = 0)
    {
        for (int i = minimum; i < _hostFds.Count; i++)
        {
            if (_hostFds[i] < 0)
            {
                _hostFds[i] = hostFd;
                return i;
            }
        }

        while (_hostFds.Count < minimum)
        {
            _hostFds.Add(-1);
        }

        _hostFds.Add(hostFd);
        return _hostFds.Count - 1;
    }

    /// <summary>Makes <paramref name="guestFd"/> refer to <paramref name="hostFd"/>, closing what it referred to.</summary>
    public void Set(uint guestFd, int hostFd)
    {
        while (_hostFds.Count <= guestFd)
        {
            _hostFds.Add(-1);
        }

        Close(guestFd);
        _hostFds[(int)guestFd] = hostFd;
    }

    public long Close(uint guestFd)
    {
        int host = Host(guestFd);
        if (host < 0)
        {
            return -(long)Errno.EBADF;
        }

        _hostFds[(int)guestFd] = -1;
        return HostSyscalls.Call(HostSyscalls.Close, host);
    }

    public void CloseAll()
    {
        for (uint fd = 0; fd < _hostFds.Count; fd++)
        {
            if (_hostFds[(int)fd] >= 0)
            {
                Close(fd);
            }
        }
    }
}
