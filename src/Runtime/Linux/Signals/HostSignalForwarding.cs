using System.Runtime.InteropServices;

namespace Isa.Runtime.Linux.Signals;

/// <summary>
/// Signals sent to the emulator from outside (Ctrl-C, kill from another process) for which the
/// guest has a handler or SIG_IGN: caught here instead of taking the host default action, and
/// handed to the guest between slices. Signals the guest leaves at their default are not caught,
/// so they end (or stop) the emulator exactly as they would the guest.
/// </summary>
public sealed class HostSignalForwarding : IDisposable
{
    /// <summary>Never caught: the runtime needs the synchronous ones, the emulation makes its own SIGPIPE and timer signals, and .NET relies on SIGCHLD and SIGCONT.</summary>
    private static readonly int[] Excluded =
    [
        HostSignal.SIGKILL, HostSignal.SIGSTOP, HostSignal.SIGSEGV, HostSignal.SIGBUS, HostSignal.SIGILL, HostSignal.SIGFPE,
        HostSignal.SIGTRAP, HostSignal.SIGSYS, HostSignal.SIGPIPE, HostSignal.SIGCHLD, HostSignal.SIGCONT, HostSignal.SIGABRT,
    ];

    private readonly PosixSignalRegistration?[] _registrations = new PosixSignalRegistration?[HostSignal.SIGRTMAX + 1];
    private long _arrived;
    private int _active;

    /// <summary>Whether any signal is being caught (blocking waits then wake up regularly to look).</summary>
    public bool IsActive => _active > 0;

    public bool HasArrived => Volatile.Read(ref _arrived) != 0;

    /// <summary>Starts or stops catching <paramref name="hostSignal"/>; false when it cannot be caught.</summary>
    public bool Catch(int hostSignal, bool enable)
    {
        if (hostSignal <= 0 || hostSignal > 63 || Excluded.Contains(hostSignal))
        {
            return false;
        }

        ref PosixSignalRegistration? registration = ref _registrations[hostSignal];
        if (enable && registration is null)
        {
            try
            {
                registration = PosixSignalRegistration.Create(Portable(hostSignal), context =>
                {
                    context.Cancel = true;
                    Interlocked.Or(ref _arrived, 1L << (hostSignal - 1));
                });
                _active++;
            }
            catch (Exception e) when (e is PlatformNotSupportedException or IOException)
            {
                return false; // e.g. the real-time signals the runtime keeps (glibc's threads set handlers for 32 and 33)
            }
        }
        else if (!enable && registration is not null)
        {
            registration.Dispose();
            registration = null;
            _active--;
        }

        return true;
    }

    /// <summary>The host signals that arrived since the last call, bit <c>n - 1</c> for signal <c>n</c>.</summary>
    public long TakeArrived() => Interlocked.Exchange(ref _arrived, 0);

    public void Dispose()
    {
        for (int signal = 0; signal < _registrations.Length; signal++)
        {
            _registrations[signal]?.Dispose();
            _registrations[signal] = null;
        }

        _active = 0;
    }

    /// <summary>.NET names the common signals by negative values of its own; others are passed as raw numbers.</summary>
    private static PosixSignal Portable(int hostSignal) => hostSignal switch
    {
        HostSignal.SIGHUP => PosixSignal.SIGHUP,
        HostSignal.SIGINT => PosixSignal.SIGINT,
        HostSignal.SIGQUIT => PosixSignal.SIGQUIT,
        HostSignal.SIGTERM => PosixSignal.SIGTERM,
        _ => (PosixSignal)hostSignal,
    };
}
