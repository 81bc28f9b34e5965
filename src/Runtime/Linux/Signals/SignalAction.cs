namespace Isa.Runtime.Linux.Signals;

/// <summary>
/// A guest's disposition of one signal (its <c>struct sigaction</c>): the handler address or
/// <see cref="Default"/> / <see cref="Ignore"/>, the flags in the guest's own values (reported
/// back unchanged), and the signals blocked while the handler runs.
/// </summary>
public readonly record struct SignalAction(uint Handler, uint Flags, SignalSet Mask)
{
    public const uint Default = 0, Ignore = 1;

    public bool IsDefault => Handler == Default;

    public bool IsIgnore => Handler == Ignore;
}
