using Iced.Intel;
using Isa.Backends.Jit;
using Isa.Backends.Vcpu;
using Isa.Guests;
using Isa.Runtime.Cpu;
using Isa.Runtime.Memory;

namespace Isa.Tests.Backends.Vcpu;

/// <summary>
/// The vCPU's block table (GS base) without a hypervisor: a recording stand-in keeps the memory the
/// VM would see, and the table is read the way a vCPU reads it, through the page tables.
/// </summary>
public sealed unsafe class VcpuBlockTableTests : IDisposable
{
    private static readonly nint MissStub = unchecked((nint)0x7f00_1234_5670L);
    private readonly RecordingHypervisor _hypervisor = new();
    private readonly GuestMemory _memory = new();
    private readonly CodeBuffer _code = new(1 << 20); // an engine's code space: the host maps it
    private readonly VcpuAddressSpace _space;

    public VcpuBlockTableTests()
    {
        _space = new VcpuAddressSpace(_hypervisor, _memory, _code, VcpuStubs.Create(_code));
    }

    public void Dispose()
    {
        _space.Dispose();
        _memory.Dispose();
        _code.Dispose();
    }

    [Theory]
    [InlineData(4, 0x0040_0100UL, 0x0010_0040UL * 8)]
    [InlineData(4, 0xFFFF_FFFCUL, ((1UL << 30) - 1) * 8)]
    [InlineData(4, 0x0040_0102UL, ((2UL << 30) | 0x0010_0040) * 8)] // misaligned: beyond the 2^30 instruction addresses
    [InlineData(2, 0x0040_0102UL, 0x0020_0081UL * 8)]
    [InlineData(2, 0xFFFF_FFFEUL, ((1UL << 31) - 1) * 8)]
    [InlineData(2, 0x0040_0101UL, ((1UL << 31) | 0x0020_0080) * 8)]
    [InlineData(1, 0x0040_0101UL, 0x0040_0101UL * 8)]
    public void AnEntryIsThePcRotatedByTheInstructionSizeTimesEight(int instructionBytes, ulong pc, ulong offset)
    {
        Assert.Equal(offset, VcpuBlockTable.EntryOffset(pc, instructionBytes));
        Assert.InRange(offset, 0UL, VcpuBlockTable.Bytes - 8);
    }

    [Fact]
    public void InstructionSizesThatAreNoPowerOfTwoAreRefused()
        => Assert.Throws<ArgumentOutOfRangeException>(() => new VcpuBlockTable(_space, 3));

    [Fact]
    public void AnEmptyTableIsTheSharedMissPageInTwoMegabytePages()
    {
        int tablesBefore = _space.TablePages;
        var table = new VcpuBlockTable(_space, 4);
        table.Start(MissStub);

        // 32 GiB of 2 MiB pages: one page directory per GiB and the directory pointer table.
        Assert.InRange(_space.TablePages - tablesBefore, 1, 33);
        (ulong Physical, PageFlags Flags)? first = _space.Translate(VcpuBlockTable.Base);
        Assert.NotNull(first);
        foreach (ulong offset in new ulong[] { 0, 8, 0x1F_FFF8, 0x20_0000, 0x1_2345_6788, (4UL << 30) * 2, VcpuBlockTable.Bytes - 8 })
        {
            (ulong physical, PageFlags flags) = _space.Translate(VcpuBlockTable.Base + offset)!.Value;
            Assert.Equal(PageFlags.Present | PageFlags.Large | PageFlags.NoExecute, flags & (PageFlags.Present | PageFlags.Large | PageFlags.NoExecute | PageFlags.Writable));
            Assert.Equal(first.Value.Physical + (offset % PageTableBuilder.LargePageSize), physical);
            Assert.Equal(MissStub, Read(offset));
        }

        Assert.False(_hypervisor.Range(first.Value.Physical).Writable);
        Assert.Null(_space.Translate(VcpuBlockTable.Base + VcpuBlockTable.Bytes));
        Assert.Equal(0, table.FilledPages);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(2)]
    public void AFilledEntryHasAPageOfItsOwnAndInvalidationPutsTheMissBack(int instructionBytes)
    {
        var table = new VcpuBlockTable(_space, instructionBytes);
        table.Start(MissStub);
        const ulong Pc = 0x0040_1230;
        nint code = unchecked((nint)0x7f00_4000_0040L), other = unchecked((nint)0x7f00_4000_0080L);
        ulong offset = VcpuBlockTable.EntryOffset(Pc, instructionBytes);
        (ulong missPhysical, _) = _space.Translate(VcpuBlockTable.Base + offset)!.Value;
        long generation = _space.Generation;

        table.Translated(Pc, code); // translation alone takes no page
        Assert.Equal(0, table.FilledPages);
        Assert.Equal(MissStub, Read(offset));

        table.Missed(Pc, code);
        Assert.Equal(1, table.FilledPages);
        Assert.True(_space.Generation > generation); // the processors flush their TLB before they run again
        (ulong physical, PageFlags flags) = _space.Translate(VcpuBlockTable.Base + offset)!.Value;
        Assert.Equal(PageFlags.Present | PageFlags.NoExecute, flags & (PageFlags.Present | PageFlags.Large | PageFlags.NoExecute | PageFlags.Writable));
        Assert.NotEqual(missPhysical & ~(PageTableBuilder.PageSize - 1), physical & ~(PageTableBuilder.PageSize - 1));
        Assert.True(_hypervisor.Range(physical).Writable); // the host writes it; the vCPUs only read
        Assert.Equal(code, Read(offset));

        // The rest of its page and of its 2 MiB still miss; a neighbour in the same page fills without a new page.
        ulong pageStart = offset & ~(PageTableBuilder.PageSize - 1);
        Assert.Equal(MissStub, Read(offset + 8));
        Assert.Equal(MissStub, Read(pageStart));
        Assert.Equal(MissStub, Read(pageStart + PageTableBuilder.PageSize));
        Assert.Equal(PageFlags.None, _space.Translate(VcpuBlockTable.Base + pageStart + PageTableBuilder.PageSize)!.Value.Flags & PageFlags.Large);
        Assert.Equal(PageFlags.Large, _space.Translate(VcpuBlockTable.Base + pageStart + PageTableBuilder.LargePageSize)!.Value.Flags & PageFlags.Large);
        table.Missed(Pc + (ulong)instructionBytes, other);
        Assert.Equal(1, table.FilledPages);
        Assert.Equal(other, Read(offset + 8));

        // Invalidation of another block's code leaves the entry; of its own, the miss comes back.
        table.Invalidated(Pc, other);
        Assert.Equal(code, Read(offset));
        table.Invalidated(Pc, code);
        Assert.Equal(MissStub, Read(offset));
        Assert.Equal(other, Read(offset + 8));

        // Re-entered: the same page again.
        table.Missed(Pc, other);
        Assert.Equal(other, Read(offset));
        Assert.Equal(1, table.FilledPages);
    }

    [Fact]
    public void AFlushMakesEveryFilledEntryMissAgainAndKeepsItsPages()
    {
        var table = new VcpuBlockTable(_space, 4);
        table.Start(MissStub);
        ulong[] pcs = [0x0040_0000, 0x0040_0004, 0x1000_0000];
        foreach (ulong pc in pcs)
        {
            table.Missed(pc, unchecked((nint)(0x7f00_4000_0000L + (long)pc)));
        }

        int pages = table.FilledPages;
        table.Flushed();
        foreach (ulong pc in pcs)
        {
            Assert.Equal(MissStub, Read(VcpuBlockTable.EntryOffset(pc, 4)));
        }

        Assert.Equal(pages, table.FilledPages);
        table.Missed(pcs[0], unchecked((nint)0x7f00_5000_0000L)); // filled again in the page it had
        Assert.Equal(unchecked((nint)0x7f00_5000_0000L), Read(VcpuBlockTable.EntryOffset(pcs[0], 4)));
        Assert.Equal(pages, table.FilledPages);
    }

    [Fact]
    public void PagesComeFromPoolsOfTwoMegabytesAndFarTargetsGetTheirOwn()
    {
        var table = new VcpuBlockTable(_space, 4);
        table.Start(MissStub);
        int maps = _hypervisor.Mappings.Count;
        var pcs = new List<ulong>();
        for (ulong pc = 0x1000; pc < 0xFFFF_0000; pc += 0x0100_0404)
        {
            pcs.Add(pc);
            table.Missed(pc, (nint)(0x7f00_0000_0000 + (long)pc));
        }

        Assert.Equal(pcs.Count, table.FilledPages);
        Assert.Equal(1, _hypervisor.Mappings.Count - maps); // one 2 MiB memslot holds 512 table pages
        foreach (ulong pc in pcs)
        {
            Assert.Equal((nint)(0x7f00_0000_0000 + (long)pc), Read(VcpuBlockTable.EntryOffset(pc, 4)));
            Assert.Equal(MissStub, Read(VcpuBlockTable.EntryOffset(pc + 4, 4)));
        }
    }

    [Fact]
    public void AVcpuEngineJumpsThroughTheBlockTableAndTheInProcessOneProbes()
    {
        GuestIsa isa = IsaCatalog.Find("mips32el")!;
        using var memory = new GuestMemory();
        const uint Code = 0x1_0000;
        memory.Map(Code, GuestMemory.PageSize, MemoryPermissions.Read | MemoryPermissions.Execute);
        Isa.Tests.Backends.Jit.LockstepHarness.WriteWords(isa, memory, Code, [0x03E00008, 0]); // jr ra; nop
        using (var engine = new JitEngine(isa, memory, new JitOptions { Hypervisor = () => new RecordingHypervisor(), InterpretFirstVisit = false }))
        {
            foreach (nint code in new[] { engine.Stubs.IndirectJump, engine.GetBlock(Code)!.CodeStart })
            {
                Instruction jump = Decode(code).First(i => i.FlowControl == FlowControl.IndirectBranch);
                Assert.Equal(Register.GS, jump.MemorySegment);
                Assert.Equal(Register.None, jump.MemoryBase);
                Assert.Equal(Register.RAX, jump.MemoryIndex);
                Assert.Equal(8, jump.MemoryIndexScale);
                Assert.Contains(Decode(code), i => i.Mnemonic == Mnemonic.Ror && i.Op0Register == Register.EAX && i.Immediate8 == 2);
            }
        }

        using var inProcess = new JitEngine(isa, memory, new JitOptions { InterpretFirstVisit = false });
        Instruction probe = Decode(inProcess.Stubs.IndirectJump).First(i => i.FlowControl == FlowControl.IndirectBranch);
        Assert.Equal(Register.DS, probe.MemorySegment);
        Assert.Equal(Register.RCX, probe.MemoryBase);
    }

    /// <summary>The code at <paramref name="address"/> up to its first indirect jump.</summary>
    private static List<Instruction> Decode(nint address)
    {
        var decoder = Iced.Intel.Decoder.Create(64, new ByteArrayCodeReader(new ReadOnlySpan<byte>((void*)address, 256).ToArray()));
        decoder.IP = (ulong)address;
        var list = new List<Instruction>();
        do
        {
            list.Add(decoder.Decode());
        }
        while (list[^1].FlowControl != FlowControl.IndirectBranch && list.Count < 64);

        return list;
    }

    /// <summary>The table entry at <paramref name="offset"/> as a vCPU reads it: through the page tables to the physical memory's host backing.</summary>
    private nint Read(ulong offset)
    {
        (ulong physical, _) = _space.Translate(VcpuBlockTable.Base + offset) ?? throw new InvalidOperationException($"0x{offset:x} is not mapped");
        return *(nint*)_hypervisor.Range(physical).HostAddress(physical);
    }
}
