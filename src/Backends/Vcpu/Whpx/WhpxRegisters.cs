namespace Isa.Backends.Vcpu.Whpx;

/// <summary>
/// The WHV_REGISTER_NAME codes the hosts use and the conversions between the shared register types
/// and WHV_REGISTER_VALUE arrays (pure: tests check them without Windows). WHPX numbers the general
/// registers in their x64 encoding order, so <see cref="GeneralRegisters"/> index i is name i.
/// </summary>
internal static class WhpxRegisters
{
    public const uint Rax = 0x00, R15 = 0x0F, Rip = 0x10, Rflags = 0x11;
    public const uint Es = 0x12, Cs = 0x13, Ss = 0x14, Ds = 0x15, Fs = 0x16, Gs = 0x17, Ldtr = 0x18, Tr = 0x19;
    public const uint Idtr = 0x1A, Gdtr = 0x1B;
    public const uint Cr0 = 0x1C, Cr2 = 0x1D, Cr3 = 0x1E, Cr4 = 0x1F, Cr8 = 0x20, Xcr0 = 0x27;
    public const uint Efer = 0x2001, ApicBase = 0x2003;

    /// <summary>Attribute bits WHPX keeps: type, S, DPL, P (descriptor bits 40-47) and AVL, L, D/B, G (52-55).</summary>
    private const uint AttributeMask = 0xF0FF;

    /// <summary>The names of <see cref="GeneralRegisters"/>: the sixteen in encoding order, RIP, RFLAGS.</summary>
    public static ReadOnlySpan<uint> GeneralNames =>
        [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, Rip, Rflags];

    /// <summary>The names of <see cref="SpecialRegisters"/> in the order of <see cref="ToValues(in SpecialRegisters, Span{WhpxNative.RegisterValue})"/> (XCR0 after CR4, as it must be written).</summary>
    public static ReadOnlySpan<uint> SpecialNames =>
        [Cs, Ds, Es, Fs, Gs, Ss, Tr, Ldtr, Gdtr, Idtr, Cr0, Cr2, Cr3, Cr4, Cr8, Efer, Xcr0, ApicBase];

    public static void ToValues(in GeneralRegisters registers, Span<WhpxNative.RegisterValue> values)
    {
        values = values[..GeneralNames.Length];
        values.Clear();
        for (int i = 0; i < 16; i++)
        {
            values[i].Reg64 = registers[i];
        }

        values[16].Reg64 = registers.Rip;
        values[17].Reg64 = registers.Rflags | GeneralRegisters.ReservedFlag;
    }

    public static void FromValues(ReadOnlySpan<WhpxNative.RegisterValue> values, ref GeneralRegisters registers)
    {
        for (int i = 0; i < 16; i++)
        {
            registers[i] = values[i].Reg64;
        }

        registers.Rip = values[16].Reg64;
        registers.Rflags = values[17].Reg64;
    }

    public static void ToValues(in SpecialRegisters s, Span<WhpxNative.RegisterValue> values)
    {
        values = values[..SpecialNames.Length];
        values.Clear();
        values[0].Segment = ToWhpx(s.Cs);
        values[1].Segment = ToWhpx(s.Ds);
        values[2].Segment = ToWhpx(s.Es);
        values[3].Segment = ToWhpx(s.Fs);
        values[4].Segment = ToWhpx(s.Gs);
        values[5].Segment = ToWhpx(s.Ss);
        values[6].Segment = ToWhpx(s.Tr);
        values[7].Segment = ToWhpx(s.Ldt);
        values[8].Table = ToWhpx(s.Gdt);
        values[9].Table = ToWhpx(s.Idt);
        values[10].Reg64 = s.Cr0;
        values[11].Reg64 = s.Cr2;
        values[12].Reg64 = s.Cr3;
        values[13].Reg64 = s.Cr4;
        values[14].Reg64 = s.Cr8;
        values[15].Reg64 = s.Efer;
        values[16].Reg64 = s.Xcr0;
        values[17].Reg64 = s.ApicBase;
    }

    /// <summary>
    /// The names and values a write of <paramref name="s"/> sets, in <see cref="SpecialNames"/> order; returns
    /// their count. An XCR0 of 0 (XSAVE off, an invalid XCR0) and an APIC base of 0 (keep the processor's own,
    /// as with KVM) are left out.
    /// </summary>
    public static int ToSettableValues(in SpecialRegisters s, Span<uint> names, Span<WhpxNative.RegisterValue> values)
    {
        ToValues(in s, values);
        int count = 0;
        for (int i = 0; i < SpecialNames.Length; i++)
        {
            uint name = SpecialNames[i];
            if ((name == Xcr0 && s.Xcr0 == 0) || (name == ApicBase && s.ApicBase == 0))
            {
                continue;
            }

            names[count] = name;
            values[count++] = values[i];
        }

        return count;
    }

    public static void FromValues(ReadOnlySpan<WhpxNative.RegisterValue> values, ref SpecialRegisters s)
    {
        s.Cs = FromWhpx(values[0].Segment);
        s.Ds = FromWhpx(values[1].Segment);
        s.Es = FromWhpx(values[2].Segment);
        s.Fs = FromWhpx(values[3].Segment);
        s.Gs = FromWhpx(values[4].Segment);
        s.Ss = FromWhpx(values[5].Segment);
        s.Tr = FromWhpx(values[6].Segment);
        s.Ldt = FromWhpx(values[7].Segment);
        s.Gdt = FromWhpx(values[8].Table);
        s.Idt = FromWhpx(values[9].Table);
        s.Cr0 = values[10].Reg64;
        s.Cr2 = values[11].Reg64;
        s.Cr3 = values[12].Reg64;
        s.Cr4 = values[13].Reg64;
        s.Cr8 = values[14].Reg64;
        s.Efer = values[15].Reg64;
        s.Xcr0 = values[16].Reg64;
        s.ApicBase = values[17].Reg64;
    }

    /// <summary>
    /// The WHPX form of a segment. WHPX has no "unusable" bit (VMX's bit 16): as for KVM, a segment is
    /// usable only when present and not marked unusable, so an unusable one goes in as not present.
    /// </summary>
    public static WhpxNative.SegmentRegister ToWhpx(SegmentRegister s)
    {
        uint attributes = s.Attributes & AttributeMask;
        if (s.IsUnusable)
        {
            attributes &= ~SegmentRegister.Present;
        }

        return new WhpxNative.SegmentRegister { Base = s.Base, Limit = s.Limit, Selector = s.Selector, Attributes = (ushort)attributes };
    }

    /// <summary>The shared form of a WHPX segment: a segment that is not present is unusable.</summary>
    public static SegmentRegister FromWhpx(WhpxNative.SegmentRegister s)
    {
        uint attributes = s.Attributes & AttributeMask;
        if ((attributes & SegmentRegister.Present) == 0)
        {
            attributes |= SegmentRegister.Unusable;
        }

        return new SegmentRegister(s.Base, s.Limit, s.Selector, attributes);
    }

    public static WhpxNative.TableRegister ToWhpx(DescriptorTableRegister t) => new() { Base = t.Base, Limit = t.Limit };

    public static DescriptorTableRegister FromWhpx(WhpxNative.TableRegister t) => new(t.Base, t.Limit);
}
