using Isa.Backends.Vcpu;
using Isa.Backends.Vcpu.Kvm;
using Isa.Backends.Vcpu.Whpx;

namespace Isa.Tests.Backends.Vcpu;

/// <summary>Register names, register-value packing and segment attributes of the WHPX host, without Windows.</summary>
public sealed class WhpxRegisterTests
{
    /// <summary>Descriptors the vCPU hosts load: flat 64-bit code, flat data, a busy 64-bit TSS, ring-3 code and data, a 16-bit data segment.</summary>
    public static TheoryData<ulong> Descriptors => new()
    {
        0x00AF_9B00_0000_FFFFUL,
        0x00CF_9300_0000_FFFFUL,
        0x3400_8B56_7890_0067UL,
        0x00AF_FB00_0000_FFFFUL,
        0x00CF_F300_0000_FFFFUL,
        0x0010_9300_1234_FFFFUL,
    };

    [Fact]
    public void GeneralRegisterNamesFollowTheX64EncodingThenRipAndRflags()
    {
        ReadOnlySpan<uint> names = WhpxRegisters.GeneralNames;
        Assert.Equal(18, names.Length);
        for (int i = 0; i < 16; i++)
        {
            Assert.Equal((uint)i, names[i]);
        }

        Assert.Equal(0x10u, names[16]);
        Assert.Equal(0x11u, names[17]);
    }

    [Fact]
    public void SpecialRegisterNamesAreTheDocumentedCodes()
    {
        uint[] expected = [0x13, 0x15, 0x12, 0x16, 0x17, 0x14, 0x19, 0x18, 0x1B, 0x1A, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x2001, 0x27, 0x2003];
        Assert.Equal(expected, WhpxRegisters.SpecialNames.ToArray());
    }

    [Fact]
    public void GeneralRegistersRoundTripThroughRegisterValues()
    {
        var registers = default(GeneralRegisters);
        for (int i = 0; i < 16; i++)
        {
            registers[i] = 0x1111_0000_0000_0000UL * (ulong)(i + 1) + (ulong)i;
        }

        registers.Rip = 0x7f00_1234_5678;
        registers.Rflags = 0x246;
        var values = new WhpxNative.RegisterValue[WhpxRegisters.GeneralNames.Length];
        WhpxRegisters.ToValues(in registers, values);
        for (int i = 0; i < values.Length; i++)
        {
            ulong expected = WhpxRegisters.GeneralNames[i] switch
            {
                WhpxRegisters.Rip => registers.Rip,
                WhpxRegisters.Rflags => registers.Rflags,
                uint name => registers[(int)name],
            };
            Assert.Equal(expected, values[i].Reg64);
            Assert.Equal(0UL, values[i].High64);
        }

        var back = default(GeneralRegisters);
        WhpxRegisters.FromValues(values, ref back);
        for (int i = 0; i < 16; i++)
        {
            Assert.Equal(registers[i], back[i]);
        }

        Assert.Equal(registers.Rip, back.Rip);
        Assert.Equal(registers.Rflags, back.Rflags);
    }

    [Fact]
    public void RflagsAlwaysCarriesItsReservedBit()
    {
        var registers = default(GeneralRegisters);
        var values = new WhpxNative.RegisterValue[WhpxRegisters.GeneralNames.Length];
        WhpxRegisters.ToValues(in registers, values);
        Assert.Equal(GeneralRegisters.ReservedFlag, values[17].Reg64);
    }

    [Fact]
    public void AWriteLeavesOutAZeroXcr0AndAZeroApicBase()
    {
        SpecialRegisters s = LongMode.Registers(unchecked((nint)0x7f00_0000_0000), 0x1_0000_0000, 0x7fff_0000_0000, 0);
        var names = new uint[WhpxRegisters.SpecialNames.Length];
        var values = new WhpxNative.RegisterValue[WhpxRegisters.SpecialNames.Length];

        int count = WhpxRegisters.ToSettableValues(in s, names, values);
        Assert.Equal(WhpxRegisters.SpecialNames[..^2].ToArray(), names[..count]);
        Assert.Equal(s.Efer, values[count - 1].Reg64);

        s = s with { Xcr0 = 7, ApicBase = 0xFEE0_0900 };
        count = WhpxRegisters.ToSettableValues(in s, names, values);
        Assert.Equal(WhpxRegisters.SpecialNames.ToArray(), names[..count]);
        Assert.Equal(7UL, values[count - 2].Reg64);
        Assert.Equal(0xFEE0_0900UL, values[count - 1].Reg64);

        s = s with { ApicBase = 0 };
        count = WhpxRegisters.ToSettableValues(in s, names, values);
        Assert.Equal([.. WhpxRegisters.SpecialNames[..^1]], names[..count]);
        Assert.Equal(WhpxRegisters.Xcr0, names[count - 1]);
        Assert.Equal(7UL, values[count - 1].Reg64);

        // CR4 (with OSXSAVE) goes before XCR0, as a processor must be given them.
        Assert.True(Array.IndexOf(names, WhpxRegisters.Cr4) < Array.IndexOf(names, WhpxRegisters.Xcr0));
    }

    [Fact]
    public void TheLongModeStateRoundTripsThroughRegisterValues()
    {
        SpecialRegisters s = LongMode.Registers(unchecked((nint)0x7f00_0000_0000), 0x1_0000_0000, 0x7fff_0000_0000, 0x7ffe_0000_0000, 7);
        s.Cr8 = 3;
        s.ApicBase = 0xFEE0_0900;
        var values = new WhpxNative.RegisterValue[WhpxRegisters.SpecialNames.Length];
        WhpxRegisters.ToValues(in s, values);

        Assert.Equal(0xA09B, values[0].Segment.Attributes); // CS
        Assert.Equal(0x7fff_0000_0000UL, values[3].Segment.Base); // FS: the guest window
        Assert.Equal(0x7ffe_0000_0000UL, values[4].Segment.Base); // GS: the block table
        Assert.Equal(s.Gdt.Base, values[8].Table.Base);
        Assert.Equal(s.Gdt.Limit, values[8].Table.Limit);
        Assert.Equal(s.Idt.Limit, values[9].Table.Limit);
        Assert.Equal(s.Efer, values[15].Reg64);
        Assert.Equal(7UL, values[16].Reg64); // XCR0: x87, SSE, AVX
        Assert.Equal(0xFEE0_0900UL, values[17].Reg64);

        var back = default(SpecialRegisters);
        WhpxRegisters.FromValues(values, ref back);
        Assert.Equal(s with { Ldt = back.Ldt }, back);

        // WHPX has no unusable bit: the unusable LDT goes in not present and comes back unusable.
        Assert.Equal(0, values[7].Segment.Attributes & 0x80);
        Assert.True(back.Ldt.IsUnusable);
        Assert.Equal(s.Ldt.Type, back.Ldt.Type);
    }

    [Theory]
    [MemberData(nameof(Descriptors))]
    public void SegmentAttributesAreTheDescriptorsAccessBitsBothWays(ulong descriptor)
    {
        SegmentRegister segment = Isa.Backends.Vcpu.Descriptors.Decode(descriptor, 0x10, high: 0x7f12);
        WhpxNative.SegmentRegister whpx = WhpxRegisters.ToWhpx(segment);

        // The attribute word is descriptor bits 40-55 with the limit's bits 16-19 (word bits 8-11) reserved.
        Assert.Equal((ushort)((descriptor >> 40) & 0xF0FF), whpx.Attributes);
        Assert.Equal(segment.Base, whpx.Base);
        Assert.Equal(segment.Limit, whpx.Limit);
        Assert.Equal(segment.Selector, whpx.Selector);
        Assert.Equal(segment, WhpxRegisters.FromWhpx(whpx));
    }

    [Theory]
    [MemberData(nameof(Descriptors))]
    public void SegmentAttributesAgreeWithTheKvmEncodingOfTheSameDescriptor(ulong descriptor)
    {
        SegmentRegister segment = Isa.Backends.Vcpu.Descriptors.Decode(descriptor, 0x10, high: 0x7f12);
        WhpxNative.SegmentRegister whpx = WhpxRegisters.ToWhpx(segment);
        KvmNative.Segment kvm = KvmVirtualProcessor.ToKvm(segment);

        // The KVM host's struct kvm_segment, one byte per flag, against the bits of the WHPX word.
        Assert.Equal(KvmFields(descriptor), (kvm.Type, kvm.S, kvm.Dpl, kvm.Present, kvm.Avl, kvm.L, kvm.Db, kvm.G));
        Assert.Equal(KvmFields(descriptor), WhpxFields(whpx.Attributes));
        Assert.Equal((kvm.Base, kvm.Limit, kvm.Selector), (whpx.Base, whpx.Limit, whpx.Selector));

        // And back: both hosts give the shared form the descriptor decodes to.
        Assert.Equal(KvmVirtualProcessor.FromKvm(kvm), WhpxRegisters.FromWhpx(whpx));
    }

    [Fact]
    public void AnUnusableSegmentMeansTheSameToBothHosts()
    {
        KvmNative.Segment kvm = KvmVirtualProcessor.ToKvm(LongMode.Registers(0, 0x1000, 0, 0).Ldt);
        WhpxNative.SegmentRegister whpx = WhpxRegisters.ToWhpx(LongMode.Registers(0, 0x1000, 0, 0).Ldt);

        // KVM: unusable flag set; WHPX (no such flag): not present. Both read it back as unusable.
        Assert.Equal(1, kvm.Unusable);
        Assert.Equal(0, whpx.Attributes & 0x80);
        Assert.True(KvmVirtualProcessor.FromKvm(kvm).IsUnusable);
        Assert.True(WhpxRegisters.FromWhpx(whpx).IsUnusable);
        Assert.Equal(kvm.Type, whpx.Attributes & 0xF);
    }

    [Fact]
    public void ReservedAttributeBitsAreDroppedBothWays()
    {
        var s = new SegmentRegister(0, 0xFFFF_FFFF, 0x10, LongMode.Data.Attributes | 0x0F00);
        Assert.Equal(0xC093, WhpxRegisters.ToWhpx(s).Attributes);
        var w = new WhpxNative.SegmentRegister { Limit = 0xFFFF_FFFF, Selector = 0x10, Attributes = 0xCF93 };
        Assert.Equal(LongMode.Data, WhpxRegisters.FromWhpx(w));
    }

    [Fact]
    public void AnUnusableSegmentIsNotPresentForWhpx()
    {
        var nullSegment = new SegmentRegister(0, 0, 0, SegmentRegister.Unusable | SegmentRegister.Present | SegmentRegister.CodeOrData | 3);
        WhpxNative.SegmentRegister whpx = WhpxRegisters.ToWhpx(nullSegment);
        Assert.Equal(0x13, whpx.Attributes);
        Assert.True(WhpxRegisters.FromWhpx(whpx).IsUnusable);
        Assert.False(WhpxRegisters.FromWhpx(whpx).IsPresent);
    }

    [Fact]
    public void TableRegistersKeepBaseAndLimit()
    {
        var gdt = new DescriptorTableRegister(0x7f12_3456_7000, 0x27);
        WhpxNative.TableRegister t = WhpxRegisters.ToWhpx(gdt);
        Assert.Equal(0x7f12_3456_7000UL, t.Base);
        Assert.Equal(0x27, t.Limit);
        Assert.Equal(gdt, WhpxRegisters.FromWhpx(t));
    }

    /// <summary>The fields of Linux's struct kvm_segment for a descriptor, each taken from its bit in the descriptor.</summary>
    private static (byte Type, byte S, byte Dpl, byte Present, byte Avl, byte L, byte Db, byte G) KvmFields(ulong d) =>
        ((byte)((d >> 40) & 0xF), (byte)((d >> 44) & 1), (byte)((d >> 45) & 3), (byte)((d >> 47) & 1), (byte)((d >> 52) & 1), (byte)((d >> 53) & 1), (byte)((d >> 54) & 1), (byte)((d >> 55) & 1));

    /// <summary>The bitfields of WHV_X64_SEGMENT_REGISTER: SegmentType:4, NonSystemSegment:1, DescriptorPrivilegeLevel:2, Present:1, Reserved:4, Available:1, Long:1, Default:1, Granularity:1.</summary>
    private static (byte Type, byte S, byte Dpl, byte Present, byte Avl, byte L, byte Db, byte G) WhpxFields(ushort a) =>
        ((byte)(a & 0xF), (byte)((a >> 4) & 1), (byte)((a >> 5) & 3), (byte)((a >> 7) & 1), (byte)((a >> 12) & 1), (byte)((a >> 13) & 1), (byte)((a >> 14) & 1), (byte)((a >> 15) & 1));
}
