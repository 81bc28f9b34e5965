using Isa.Backends.Jit;
using Isa.Guests;
using Isa.Runtime.Cpu;
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

    /// <summary>
    /// Floating point natively against the interpreter (LockstepHarness.FloatingPointSequencesMatchTheInterpreter):
    /// NaNs, infinities, subnormals and rounding-mode changes included.
    /// </summary>
    [Theory]
    [MemberData(nameof(FloatingPointCases))]
    public void FloatingPointSequencesMatchTheInterpreter(string isaName, MemoryAddressing addressing)
        => LockstepHarness.FloatingPointSequencesMatchTheInterpreter(isaName, new JitOptions { Addressing = addressing, InterpretFirstVisit = false }, (int)addressing);

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
}
