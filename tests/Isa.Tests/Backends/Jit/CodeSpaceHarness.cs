using Isa.Backends.Jit;
using Isa.Guests;
using Isa.Runtime.Cpu;
using Isa.Runtime.Memory;

namespace Isa.Tests.Backends.Jit;

/// <summary>Guest code made of many small blocks, to fill a JIT code space (shared with Isa.Vcpu.Tests).</summary>
internal static class CodeSpaceHarness
{
    public const uint Code = 0x0040_0000;
    private const int T0 = 8, T1 = 9, T2 = 10;

    public static GuestIsa Mips { get; } = IsaCatalog.Find("mips32el")!;

    /// <summary>
    /// A chain of 600 blocks run four times on the interpreter and on the JIT with the smallest
    /// code space (and <paramref name="options"/>), in uneven slices: the same final state, and the
    /// space was flushed at least once per pass. Also run inside KVM vCPUs (Isa.Vcpu.Tests).
    /// </summary>
    public static void ChainOfBlocksMatchesTheInterpreterInATinyCodeSpace(JitOptions options)
    {
        const int Blocks = 600, Passes = 4;
        using GuestMemory interpreterMemory = ChainOfBlocks(Blocks);
        using GuestMemory jitMemory = ChainOfBlocks(Blocks);
        ICpu interpreter = Mips.CreateCpu(interpreterMemory);
        using var engine = new JitEngine(Mips, jitMemory, options with { CodeSpaceBytes = JitOptions.MinCodeSpaceBytes });
        ICpu jit = engine.CreateCpu();

        CpuExit expected = RunChain(interpreter, Passes, slice: 1 << 20);
        CpuExit actual = RunChain(jit, Passes, slice: 777); // uneven slices: runs resume in the middle of blocks

        Assert.Equal(TrapKind.Breakpoint, expected.Kind);
        Assert.Equal(expected, actual);
        AssertSameState(interpreter, jit);
        Assert.True(engine.Statistics.Flushes >= Passes, $"{engine.Statistics.Flushes} flushes");
    }

    /// <summary>
    /// <paramref name="blocks"/> blocks, each adding to t0 and t1 and jumping to the next; the last
    /// counts t2 down and loops back to the first, or breaks.
    /// </summary>
    public static GuestMemory ChainOfBlocks(int blocks)
    {
        static uint Addiu(int rt, int rs, int value) => 0x24000000u | ((uint)rs << 21) | ((uint)rt << 16) | (ushort)value;
        static uint Addu(int rd, int rs, int rt) => ((uint)rs << 21) | ((uint)rt << 16) | ((uint)rd << 11) | 0x21;
        static uint J(uint target) => 0x08000000u | ((target >> 2) & 0x03FFFFFF);
        var words = new List<uint>();
        for (int i = 0; i < blocks; i++)
        {
            uint next = Code + (uint)((words.Count + 4) * 4);
            words.AddRange([Addiu(T0, T0, i + 1), Addu(T1, T1, T0), J(next), 0]);
        }

        uint bne = Code + (uint)((words.Count + 1) * 4);
        int back = (int)(Code - (bne + 4)) >> 2;
        words.AddRange([Addiu(T2, T2, -1), 0x14000000u | ((uint)T2 << 21) | (ushort)back, 0, 0x0000000D]);

        var memory = new GuestMemory();
        uint bytes = (uint)((words.Count * 4) + GuestMemory.PageSize - 1) & ~(uint)(GuestMemory.PageSize - 1);
        memory.Map(Code, bytes, MemoryPermissions.Read | MemoryPermissions.Execute);
        LockstepHarness.WriteWords(Mips, memory, Code, [.. words]);
        return memory;
    }

    /// <summary>Runs the chain <paramref name="passes"/> times in slices of <paramref name="slice"/> instructions.</summary>
    public static CpuExit RunChain(ICpu cpu, int passes, long slice)
    {
        cpu.Pc = Code;
        cpu.SetRegister(0, T2, (ulong)passes);
        while (true)
        {
            CpuExit exit = cpu.Run(slice);
            if (exit.Kind != TrapKind.BudgetExhausted)
            {
                return exit;
            }
        }
    }

    public static void AssertSameState(ICpu expected, ICpu actual)
    {
        Assert.Equal(expected.Pc, actual.Pc);
        Assert.Equal(expected.InstructionsRetired, actual.InstructionsRetired);
        for (int i = 0; i < 32; i++)
        {
            Assert.Equal(expected.GetRegister(0, i), actual.GetRegister(0, i));
        }
    }
}
