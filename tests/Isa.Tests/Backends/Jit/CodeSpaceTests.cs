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
    private const uint Code = CodeSpaceHarness.Code;
    private static readonly GuestIsa Mips = CodeSpaceHarness.Mips;

    public static TheoryData<MemoryAddressing> Addressings() => [MemoryAddressing.GsSegment, MemoryAddressing.BaseRegister];

    [Theory]
    [MemberData(nameof(Addressings))]
    public void ATinyCodeSpaceFlushesManyTimesAndMatchesTheInterpreter(MemoryAddressing addressing)
        => CodeSpaceHarness.ChainOfBlocksMatchesTheInterpreterInATinyCodeSpace(new JitOptions { Addressing = addressing });

    [Fact]
    public void GuestThreadsOfOneEngineFlushTogether()
    {
        const int Blocks = 600, Passes = 6, Threads = 3;
        using GuestMemory interpreterMemory = CodeSpaceHarness.ChainOfBlocks(Blocks);
        ICpu interpreter = Mips.CreateCpu(interpreterMemory);
        CpuExit expected = CodeSpaceHarness.RunChain(interpreter, Passes, slice: 1 << 20);

        using GuestMemory jitMemory = CodeSpaceHarness.ChainOfBlocks(Blocks);
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
                    exits[n] = CodeSpaceHarness.RunChain(cpus[n], Passes, slice: 500 + (n * 311));
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
            CodeSpaceHarness.AssertSameState(interpreter, cpus[i]);
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
        Assert.Equal(
            ["--resident", "2", "--resident-after", "1000"],
            RunCommand.JitArguments(new JitOptions { ResidentRegisterCount = 2, ResidentProfileInstructions = 1000 }));
    }
}
