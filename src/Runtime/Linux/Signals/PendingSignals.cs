namespace Isa.Runtime.Linux.Signals;

/// <summary>Signals sent but not yet delivered, with what each one's sender said; a standard signal already pending is not queued twice.</summary>
public sealed class PendingSignals(int signalCount)
{
    private readonly SignalInfo[] _info = new SignalInfo[signalCount + 1];

    public SignalSet Set { get; private set; }

    public void Raise(in SignalInfo info)
    {
        if (!Set.Contains(info.Signal))
        {
            _info[info.Signal] = info;
            Set = Set.With(info.Signal);
        }
    }

    public SignalInfo Take(int signal)
    {
        Set = Set.Without(signal);
        return _info[signal];
    }

    public void Discard(int signal) => Set = Set.Without(signal);
}
