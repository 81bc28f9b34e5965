using Isa.Backends.Jit;
using Isa.Guests;
using Isa.Runtime.Cpu;
using Isa.Runtime.Jit;
using Isa.Runtime.Memory;

namespace Isa.Tests.Backends.Jit;

/// <summary>
/// The JIT against the interpreter: random sequences of every instruction of every spec (random
/// operands, registers and memory) run on both, and the final states must be identical: exit,
/// PC, every register, memory, instructions retired. In both memory-addressing modes.
/// </summary>
public sealed class LockstepTests
{
    private const int Sequences = 120;

    public static TheoryData<string, MemoryAddressing> Cases() => InBothAddressingModes(IsaCatalog.All);

    public static TheoryData<string, MemoryAddressing> FloatingPointCases()
        => InBothAddressingModes(IsaCatalog.All.Where(i => i.Instructions.Any(x => (x.Flags & InstructionFlags.FloatingPoint) != 0)));

    private static TheoryData<string, MemoryAddressing> InBothAddressingModes(IEnumerable<GuestIsa> isas)
    {
        var data = new TheoryData<string, MemoryAddressing>();
        foreach (GuestIsa isa in isas)
        {
            data.Add(isa.Name, MemoryAddressing.GsSegment);
            data.Add(isa.Name, MemoryAddressing.BaseRegister);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void RandomSequencesMatchTheInterpreter(string isaName, MemoryAddressing addressing)
        => LockstepHarness.RandomSequencesMatchTheInterpreter(isaName, new JitOptions { Addressing = addressing, InterpretFirstVisit = false }, (int)addressing, Sequences);

    /// <summary>The same without the optional CPU features (BMI2's shifts, LZCNT, MOVBE, FMA...): the fallbacks.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void RandomSequencesWithoutOptionalCpuFeaturesMatchTheInterpreter(string isaName, MemoryAddressing addressing)
        => LockstepHarness.RandomSequencesMatchTheInterpreter(
            isaName, new JitOptions { Addressing = addressing, InterpretFirstVisit = false, HostFeatures = HostFeatures.None }, 17 + (int)addressing, Sequences / 3);

    /// <summary>
    /// Floating point natively against the interpreter (LockstepHarness.FloatingPointSequencesMatchTheInterpreter):
    /// NaNs, infinities, subnormals and rounding-mode changes included.
    /// </summary>
    [Theory]
    [MemberData(nameof(FloatingPointCases))]
    public void FloatingPointSequencesMatchTheInterpreter(string isaName, MemoryAddressing addressing)
        => LockstepHarness.FloatingPointSequencesMatchTheInterpreter(isaName, new JitOptions { Addressing = addressing, InterpretFirstVisit = false }, (int)addressing);

    public static TheoryData<string, int> MipsBranchCases()
    {
        var data = new TheoryData<string, int>();
        foreach (string isa in new[] { "mips32el", "mips32", "allegrex" })
        {
            foreach (int budget in new[] { 10_000, 7, 3 })
            {
                data.Add(isa, budget);
            }
        }

        return data;
    }

    /// <summary>
    /// Conditional branches as blocks end them, against the interpreter, whole and in small budgets
    /// (which end inside loops): a loop whose delay slot goes before its branch (the direct exit back
    /// to the block's start), a slot that writes the branch's register (it must not move), a call
    /// whose slot reads the link register, a likely branch taken and not taken, and traps in the delay
    /// slot of a taken and a not-taken branch (the pending target must be in the state).
    /// </summary>
    [Theory]
    [MemberData(nameof(MipsBranchCases))]
    public void ConditionalBranchesMatchTheInterpreter(string isaName, int budget)
    {
        GuestIsa isa = IsaCatalog.Find(isaName)!;
        const ulong Break = 0x0000000D, Nop = 0;
        var options = new JitOptions { InterpretFirstVisit = false };
        void Registers(ICpu cpu, uint t0, uint t1 = 0)
        {
            cpu.SetRegister(0, 8, t0);
            cpu.SetRegister(0, 9, t1);
            cpu.SetRegister(0, 4, 0x0010_0000); // a0: the data region
        }

        ulong[][] programs =
        [
            // loop: addiu v0, v0, 3; addiu t0, t0, -1; bnez t0, loop; xor v1, v1, v0 (slot)
            [0x24420003, 0x2508FFFF, 0x1500FFFD, 0x00621826, Break],
            // loop: addiu v0, v0, 1; bnez t0, loop; addiu t0, t0, -1 (slot writes the branch's register)
            [0x24420001, 0x1500FFFE, 0x2508FFFF, Break],
            // loop: bgezal t1, sub; addu v1, ra, v1 (slot reads ra); addiu t0, t0, -1; bnez t0, loop; nop; break;
            // sub: addiu v0, v0, 7; jr ra; nop
            [0x05310005, 0x03E31821, 0x2508FFFF, 0x1500FFFC, Nop, Break, 0x24420007, 0x03E00008, Nop],
            // loop: addiu v0, v0, 1; addiu t0, t0, -1; bnel t0, zero, loop; addiu v1, v1, 2 (slot only when taken)
            [0x24420001, 0x2508FFFF, 0x5500FFFD, 0x24630002, Break],
            // bnez t0, +3; lw v0, 2(a0) (slot: an unaligned load traps); break; break; break
            [0x15000003, 0x8C820002, Break, Break, Break],
            // bnez t0, +3; add v0, t1, t1 (slot: overflows when t1 is large); break; break; break
            [0x15000003, 0x01291020, Break, Break, Break],
        ];
        for (int p = 0; p < programs.Length; p++)
        {
            foreach ((uint t0, uint t1) in new[] { (40u, 0u), (1u, 0x7FFF_FFFFu), (0u, 0x7FFF_FFFFu), (3u, 5u) })
            {
                LockstepHarness.RunBoth(isa, options with { Addressing = (MemoryAddressing)(p % 2) }, programs[p], p, p, setup: cpu => Registers(cpu, t0, t1), budget: budget);
            }
        }
    }

    /// <summary>A counted loop on RV32 (no delay slot: the branch is the block's last instruction), whole and in small budgets.</summary>
    [Theory]
    [InlineData(10_000)]
    [InlineData(5)]
    [InlineData(2)]
    public void AnRv32LoopMatchesTheInterpreter(int budget)
    {
        GuestIsa isa = IsaCatalog.Find("rv32")!;
        // loop: addi a0, a0, 3; addi t0, t0, -1; bnez t0, loop; ebreak
        ulong[] program = [0x00350513, 0xFFF28293, 0xFE029CE3, 0x00100073];
        foreach (uint count in new uint[] { 1, 2, 33 })
        {
            LockstepHarness.RunBoth(isa, new JitOptions { InterpretFirstVisit = false }, program, 1, 0, setup: cpu => cpu.SetRegister(0, 5, count), budget: budget);
        }
    }

    [Theory]
    [InlineData("mips32el")]
    [InlineData("mips32")]
    public void AStoreIntoTranslatedCodeIsSeenByTheNextRun(string isaName)
        => LockstepHarness.AStoreIntoTranslatedCodeIsSeenByTheNextRun(isaName, new JitOptions { InterpretFirstVisit = false });

    [Theory]
    [InlineData("mips32el")]
    [InlineData("mips32")]
    public void AComputedJumpTargetGetsItsLookupEntryBack(string isaName)
    {
        GuestIsa isa = IsaCatalog.Find(isaName)!;
        using var memory = new GuestMemory();
        // The target and the other block are a table size apart, so they share one lookup entry.
        const uint Target = LockstepHarness.Code + 0x100, Other = Target + (JitEngine.LookupTableEntries * 4);
        memory.Map(LockstepHarness.Code, GuestMemory.PageSize, MemoryPermissions.Read | MemoryPermissions.Execute);
        memory.Map(Other & ~(uint)GuestMemory.PageMask, GuestMemory.PageSize, MemoryPermissions.Read | MemoryPermissions.Execute);
        const uint Break = 0x0000000D, Nop = 0;
        LockstepHarness.WriteWords(isa, memory, LockstepHarness.Code,
        [
            0x24080064, // addiu t0, zero, 100
            0x0120F809, // loop: jalr t1 (the target)
            Nop,
            0x2508FFFF, // addiu t0, t0, -1
            0x1500FFFC, // bnez t0, loop
            Nop,
            Break,
        ]);
        LockstepHarness.WriteWords(isa, memory, Target, [0x24420001, 0x03E00008, Nop]); // addiu v0, v0, 1; jr ra
        LockstepHarness.WriteWords(isa, memory, Other, [Break]);
        using var engine = new JitEngine(isa, memory, new JitOptions { InterpretFirstVisit = false });
        ICpu cpu = engine.CreateCpu();

        // The target is translated first, then the other block takes its entry.
        cpu.Pc = Target;
        cpu.SetRegister(0, 31, Other);
        Assert.Equal(TrapKind.Breakpoint, cpu.Run(100).Kind);

        cpu.SetRegister(0, 2, 0);
        cpu.SetRegister(0, 9, Target);
        cpu.Pc = LockstepHarness.Code;
        long missesBefore = engine.Statistics.LookupMisses;
        Assert.Equal(TrapKind.Breakpoint, cpu.Run(10_000).Kind);
        Assert.Equal(100UL, cpu.GetRegister(0, 2));
        // One miss for the call and one for the return, then the table holds both: not one per call.
        Assert.InRange(engine.Statistics.LookupMisses - missesBefore, 1, 4);
    }

    [Theory]
    [InlineData("mips32el")]
    [InlineData("mips32")]
    public void ComputedJumpsToAddressZeroAndToItsLookupEntryReachTheirOwnCode(string isaName)
    {
        // A new lookup table is all zero: its first entry must not claim guest PC 0, and PCs sharing
        // that entry (a table size apart) must not claim it either.
        GuestIsa isa = IsaCatalog.Find(isaName)!;
        using var memory = new GuestMemory();
        const uint Shared = JitEngine.LookupTableEntries * 4, Break = 0x0000000D, Nop = 0;
        memory.Map(0, GuestMemory.PageSize, MemoryPermissions.Read | MemoryPermissions.Execute);
        memory.Map(Shared, GuestMemory.PageSize, MemoryPermissions.Read | MemoryPermissions.Execute);
        memory.Map(LockstepHarness.Code, GuestMemory.PageSize, MemoryPermissions.Read | MemoryPermissions.Execute);
        LockstepHarness.WriteWords(isa, memory, 0, [0x24420001, 0x03E00008, Nop]); // addiu v0, v0, 1; jr ra
        LockstepHarness.WriteWords(isa, memory, Shared, [0x24630001, 0x03E00008, Nop]); // addiu v1, v1, 1; jr ra
        LockstepHarness.WriteWords(isa, memory, LockstepHarness.Code,
        [
            0x24080032, // addiu t0, zero, 50
            0x0000F809, // loop: jalr zero (address 0)
            Nop,
            0x0120F809, // jalr t1 (the address sharing its entry)
            Nop,
            0x2508FFFF, // addiu t0, t0, -1
            0x1500FFFA, // bnez t0, loop
            Nop,
            Break,
        ]);
        using var engine = new JitEngine(isa, memory, new JitOptions { InterpretFirstVisit = false });
        ICpu cpu = engine.CreateCpu();
        cpu.SetRegister(0, 9, Shared);
        cpu.Pc = LockstepHarness.Code;

        Assert.Equal(TrapKind.Breakpoint, cpu.Run(10_000).Kind);
        Assert.Equal(50UL, cpu.GetRegister(0, 2));
        Assert.Equal(50UL, cpu.GetRegister(0, 3));
    }
}
