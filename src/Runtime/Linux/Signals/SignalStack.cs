namespace Isa.Runtime.Linux.Signals;

/// <summary>
/// An alternate signal stack (<c>stack_t</c>) as sigaltstack set it: <see cref="Flags"/> holds the
/// SS_* value the guest gave (0, SS_DISABLE, possibly with SS_AUTODISARM).
/// </summary>
public readonly record struct SignalStack(uint Base, uint Size, int Flags)
{
    public const int OnStack = 1, Disable = 2, AutoDisarm = 1 << 31;

    public static SignalStack Disabled => new(0, 0, Disable);

    public bool IsEnabled => Size != 0;

    /// <summary>Whether <paramref name="sp"/> is on this stack (the kernel's on_sig_stack; never with SS_AUTODISARM).</summary>
    public bool Contains(uint sp) => IsEnabled && (Flags & AutoDisarm) == 0 && sp > Base && sp - Base <= Size;

    /// <summary>The flags sigaltstack reports for a thread whose stack pointer is <paramref name="sp"/>.</summary>
    public int ReportedFlags(uint sp) => (!IsEnabled ? Disable : Contains(sp) ? OnStack : 0) | (Flags & AutoDisarm);
}
