namespace Isa.Backends.Vcpu;

/// <summary>Encodes and decodes x64 segment and gate descriptors (the GDT's and IDT's entries).</summary>
public static class Descriptors
{
    /// <summary>An 8-byte code or data segment descriptor (base and limit truncated to 32 and 20 bits).</summary>
    public static ulong Segment(SegmentRegister s)
    {
        ulong limit = s.Limit;
        if ((s.Attributes & SegmentRegister.Granularity) != 0)
        {
            limit >>= 12;
        }

        return (limit & 0xFFFF)
            | ((s.Base & 0xFF_FFFF) << 16)
            | ((ulong)(s.Attributes & 0xFF) << 40)
            | (((limit >> 16) & 0xF) << 48)
            | ((ulong)((s.Attributes >> 12) & 0xF) << 52)
            | (((s.Base >> 24) & 0xFF) << 56);
    }

    /// <summary>A 16-byte system descriptor (a 64-bit TSS): the 8-byte form plus the upper 32 bits of the base.</summary>
    public static (ulong Low, ulong High) System(SegmentRegister s) => (Segment(s), s.Base >> 32);

    /// <summary>The segment a descriptor describes, as the processor caches it after loading <paramref name="selector"/>.</summary>
    public static SegmentRegister Decode(ulong descriptor, ushort selector, ulong high = 0)
    {
        uint attributes = (uint)((descriptor >> 40) & 0xFF) | (uint)(((descriptor >> 52) & 0xF) << 12);
        uint limit = (uint)((descriptor & 0xFFFF) | (((descriptor >> 48) & 0xF) << 16));
        if ((attributes & SegmentRegister.Granularity) != 0)
        {
            limit = (limit << 12) | 0xFFF;
        }

        ulong segmentBase = ((descriptor >> 16) & 0xFF_FFFF) | (((descriptor >> 56) & 0xFF) << 24);
        if ((attributes & SegmentRegister.CodeOrData) == 0)
        {
            segmentBase |= high << 32;
        }

        return new SegmentRegister(segmentBase, limit, selector, attributes);
    }

    /// <summary>A 64-bit interrupt gate (interrupts stay disabled in the handler) to <paramref name="handler"/>.</summary>
    public static (ulong Low, ulong High) InterruptGate(ulong handler, ushort codeSelector, int interruptStack = 0)
    {
        const ulong interruptGate = 0xE, present = 0x80;
        ulong low = (handler & 0xFFFF)
            | ((ulong)codeSelector << 16)
            | ((ulong)(interruptStack & 7) << 32)
            | ((interruptGate | present) << 40)
            | (((handler >> 16) & 0xFFFF) << 48);
        return (low, handler >> 32);
    }
}
