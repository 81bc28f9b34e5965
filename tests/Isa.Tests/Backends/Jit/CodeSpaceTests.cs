using Isa.Backends.Host;
using Isa.Backends.Jit;
using Isa.Cli.Commands;
using Isa.Guests;
using Isa.Runtime.Cpu;
using Isa.Runtime.Memory;

namespace Isa.Tests.Backends.Jit;

/// <summary>
/// The engine's code space: a full one is flushed (every translation dropped at a point where no
/// thread runs JIT code) and translation goes on, with results identical to the interpreter; a
/// disposed engine gives its space back; a block larger than the space is a clear error.
/// </summary>
public sealed class CodeSpaceTests
{
    private const uint Code = 0x0040_0000;
    private const int T0 = 8, T1 = 9, T2 = 10;
    private static readonly GuestIsa Mips = IsaCatalog.Find("mips32el")!;

    public static TheoryData<MemoryAddressing> Addressings() => [MemoryAddressing.GsSegment, MemoryAddressing.BaseRegister];

    [Theory]
    [MemberData(nameof(Addressings))]
    public void ATinyCodeSpaceFlushesManyTimesAndMatchesTheInterpreter(MemoryAddressing addressing)
    {
        const int Blocks = 600, Passes = 4;
        using GuestMemory interpreterMemory = ChainOfBlocks(Blocks);
        using GuestMemory jitMemory = ChainOfBlocks(Blocks);
        ICpu interpreter = Mips.CreateCpu(interpreterMemory);
        using var engine = new JitEngine(Mips, jitMemory, new JitOptions { Addressing = addressing, CodeSpaceBytes = JitOptions.MinCodeSpaceBytes });
        ICpu jit = engine.CreateCpu();

        CpuExit expected = RunChain(interpreter, Passes, slice: 1 << 20);
        CpuExit actual = RunChain(jit, Passes, slice: 777); // uneven slices: runs resume in the middle of blocks

        Assert.Equal(TrapKind.Breakpoint, expected.Kind);
        Assert.Equal(expected, actual);
        AssertSameState(interpreter, jit);
        Assert.True(engine.Statistics.Flushes >= Passes, $"{engine.Statistics.Flushes} flushes");
    }

    [Fact]
    public void GuestThreadsOfOneEngineFlushTogether()
    {
        const int Blocks = 600, Passes = 6, Threads = 3;
        using GuestMemory interpreterMemory = ChainOfBlocks(Blocks);
        ICpu interpreter = Mips.CreateCpu(interpreterMemory);
        CpuExit expected = RunChain(interpreter, Passes, slice: 1 << 20);

        using GuestMemory jitMemory = ChainOfBlocks(Blocks);
        using var engine = new JitEngine(Mips, jitMemory, new JitOptions { CodeSpaceBytes = JitOptions.MinCodeSpaceBytes, InterpretFirstVisit = false });
        var cpus = new ICpu[Threads];
        var exits = new CpuExit[Threads];
        var failures = new Exception?[Threads];
        var threads = new Thread[Threads];
        for (int i = 0; i < Threads; i++)
        {
            int n = i;
            cpus[n] = engine.CreateCpu();
            threads[n] = new Thread(() =>
            {
                try
                {
                    exits[n] = RunChain(cpus[n], Passes, slice: 500 + (n * 311));
                }
                catch (Exception e)
                {
                    failures[n] = e;
                }
            });
            threads[n].Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        for (int i = 0; i < Threads; i++)
        {
            Assert.Null(failures[i]);
            Assert.Equal(expected, exits[i]);
            AssertSameState(interpreter, cpus[i]);
        }

        Assert.True(engine.Statistics.Flushes >= Passes, $"{engine.Statistics.Flushes} flushes");
    }

    [Fact]
    public void ABlockLargerThanTheWholeCodeSpaceIsAClearError()
    {
        // 95 double-precision multiplies and a break: one block, far more x64 than the space holds.
        const uint MulD = 0x46241002; // mul.d $f0, $f2, $f4
        uint[] words = [.. Enumerable.Repeat(MulD, 95), 0x0000000D];
        using var memory = new GuestMemory();
        memory.Map(Code, GuestMemory.PageSize, MemoryPermissions.Read | MemoryPermissions.Execute);
        LockstepHarness.WriteWords(Mips, memory, Code, words);
        using var engine = new JitEngine(Mips, memory, new JitOptions { CodeSpaceBytes = JitOptions.MinCodeSpaceBytes, InterpretFirstVisit = false });
        ICpu cpu = engine.CreateCpu();
        cpu.Pc = Code;

        var error = Assert.Throws<ExecutableMemoryFullException>(() => cpu.Run(1000));
        Assert.Contains("does not fit in an empty JIT code space", error.Message, StringComparison.Ordinal);
        Assert.Contains("CodeSpaceBytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DisposedEnginesGiveTheirCodeSpaceBack()
    {
        // More engines than the process's JIT memory holds at once, all kept reachable (no finalizer
        // can help): only Dispose returning each space lets the loop finish.
        const long Space = 64L << 20;
        int engines = (int)(JitCode.SharedCapacity / Space) + 32;
        using var memory = new GuestMemory();
        var disposed = new List<JitEngine>();
        var starts = new HashSet<nint>();
        for (int i = 0; i < engines; i++)
        {
            var engine = new JitEngine(Mips, memory, new JitOptions { CodeSpaceBytes = Space });
            starts.Add(engine.Code.Start);
            engine.Dispose();
            disposed.Add(engine);
        }

        Assert.True(starts.Count < engines, "no code space was ever reused");
        GC.KeepAlive(disposed);
    }

    [Theory]
    [InlineData(JitOptions.MinCodeSpaceBytes - 1)]
    [InlineData(JitOptions.MaxCodeSpaceBytes + 1)]
    public void ACodeSpaceOutsideTheLimitsIsRefused(long bytes)
    {
        using var memory = new GuestMemory();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new JitEngine(Mips, memory, new JitOptions { CodeSpaceBytes = bytes }));
        Assert.Contains("CodeSpaceBytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ForkedAndExecutedEmulatorsGetTheJitOptions()
    {
        Assert.Empty(RunCommand.JitArguments(new JitOptions()));
        Assert.Equal(
            ["--no-templates", "--code-space", "65536"],
            RunCommand.JitArguments(new JitOptions { UseSpecTemplates = false, CodeSpaceBytes = 64 << 10 }));
    }

    /// <summary>
    /// <paramref name="blocks"/> blocks, each adding to t0 and t1 and jumping to the next; the last
    /// counts t2 down and loops back to the first, or breaks.
    /// </summary>
    private static GuestMemory ChainOfBlocks(int blocks)
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
    private static CpuExit RunChain(ICpu cpu, int passes, long slice)
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

    private static void AssertSameState(ICpu expected, ICpu actual)
    {
        Assert.Equal(expected.Pc, actual.Pc);
        Assert.Equal(expected.InstructionsRetired, actual.InstructionsRetired);
        for (int i = 0; i < 32; i++)
        {
            Assert.Equal(expected.GetRegister(0, i), actual.GetRegister(0, i));
        }
    }
}
