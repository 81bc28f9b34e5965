using System.Runtime.InteropServices;
using Isa.Backends.Vcpu;

namespace Isa.Tests.Backends.Vcpu;

/// <summary>Segment, TSS and gate descriptors against the values the Intel and AMD manuals give.</summary>
public sealed unsafe class DescriptorTests
{
    [Fact]
    public void FlatLongModeSegmentsEncodeAsTheWellKnownDescriptors()
    {
        Assert.Equal(0x00AF_9B00_0000_FFFFUL, Descriptors.Segment(LongMode.Code));
        Assert.Equal(0x00CF_9300_0000_FFFFUL, Descriptors.Segment(LongMode.Data));
        Assert.Equal(LongMode.Code, Descriptors.Decode(0x00AF_9B00_0000_FFFF, LongMode.CodeSelector));
        Assert.Equal(LongMode.Data, Descriptors.Decode(0x00CF_9300_0000_FFFF, LongMode.DataSelector));
    }

    [Fact]
    public void SystemDescriptorsCarryTheWholeBase()
    {
        var tss = new SegmentRegister(0x7f12_3456_7890, 0x67, 0x18, SegmentRegister.BusyTss64 | SegmentRegister.Present);
        (ulong low, ulong high) = Descriptors.System(tss);
        Assert.Equal(0x3400_8B56_7890_0067UL, low);
        Assert.Equal(0x7f12UL, high);
        Assert.Equal(tss, Descriptors.Decode(low, 0x18, high));
    }

    [Fact]
    public void InterruptGatesSplitTheHandlerAddress()
    {
        (ulong low, ulong high) = Descriptors.InterruptGate(0x7f12_3456_789a, LongMode.CodeSelector);
        Assert.Equal(0x3456_8E00_0008_789aUL, low);
        Assert.Equal(0x7f12UL, high);
    }

    [Fact]
    public void TheSystemPageHoldsGdtTssAndIdt()
    {
        byte* page = (byte*)NativeMemory.AlignedAlloc(4096, 4096);
        try
        {
            var handlers = new nint[LongMode.Vectors];
            for (int v = 0; v < handlers.Length; v++)
            {
                handlers[v] = (nint)(0x7000_0000_1000 + (v * 16));
            }

            LongMode.WriteTables((nint)page, handlers);
            SpecialRegisters s = LongMode.Registers((nint)page, 0x1000, 0x7fff_0000_0000, 0x7ffe_0000_0000);
            var gdt = (ulong*)(page + (s.Gdt.Base - (ulong)page));
            Assert.Equal(0UL, gdt[0]);
            Assert.Equal(s.Cs, Descriptors.Decode(gdt[s.Cs.Selector / 8], s.Cs.Selector));
            Assert.Equal(s.Ss, Descriptors.Decode(gdt[s.Ss.Selector / 8], s.Ss.Selector));
            Assert.Equal(s.Tr, Descriptors.Decode(gdt[s.Tr.Selector / 8], s.Tr.Selector, gdt[(s.Tr.Selector / 8) + 1]));
            Assert.True(s.Gdt.Limit >= s.Tr.Selector + 15);
            Assert.Equal(0x7fff_0000_0000UL, s.Fs.Base);
            Assert.Equal(0x7ffe_0000_0000UL, s.Gs.Base);

            var idt = (ulong*)(page + (s.Idt.Base - (ulong)page));
            Assert.Equal((LongMode.Vectors * 16) - 1, s.Idt.Limit);
            Assert.Equal(Descriptors.InterruptGate(0x7000_0000_1000 + (14 * 16), LongMode.CodeSelector), (idt[28], idt[29]));
            Assert.Equal(0x8000_0000UL, s.Cr0 & 0x8000_0001UL & ~1UL); // paging
            Assert.Equal(0x500UL, s.Efer & 0x500UL); // long mode enabled and active
        }
        finally
        {
            NativeMemory.AlignedFree(page);
        }
    }
}
