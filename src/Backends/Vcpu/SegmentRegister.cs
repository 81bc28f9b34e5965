namespace Isa.Backends.Vcpu;

/// <summary>
/// A segment register as the processor caches it. <see cref="Attributes"/> uses the VMX/WHPX
/// access-rights layout: bits 0-3 type, 4 S (code/data), 5-6 DPL, 7 present, 12 AVL, 13 L (64-bit
/// code), 14 D/B, 15 G; bit 16 "unusable" (a null selector's cache).
/// </summary>
public readonly record struct SegmentRegister(ulong Base, uint Limit, ushort Selector, uint Attributes)
{
    public const uint Accessed = 1, Writable = 2, Executable = 8, CodeOrData = 1 << 4, Present = 1 << 7;
    public const uint Long = 1 << 13, DefaultBig = 1 << 14, Granularity = 1 << 15, Unusable = 1 << 16;

    /// <summary>The system-segment type of a busy 64-bit TSS.</summary>
    public const uint BusyTss64 = 11;

    public uint Type => Attributes & 0xF;

    public bool IsCodeOrData => (Attributes & CodeOrData) != 0;

    public int Dpl => (int)(Attributes >> 5) & 3;

    public bool IsPresent => (Attributes & Present) != 0;

    public bool IsLong => (Attributes & Long) != 0;

    public bool IsDefaultBig => (Attributes & DefaultBig) != 0;

    public bool IsGranular => (Attributes & Granularity) != 0;

    public bool IsUnusable => (Attributes & Unusable) != 0;

    public bool IsAvailable => (Attributes & (1 << 12)) != 0;
}
