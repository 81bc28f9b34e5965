using Isa.Backends.Jit;
using Isa.Backends.Vcpu.Kvm;
using Isa.Guests;
using Isa.Runtime.Cpu;
using Isa.Runtime.Jit;
using Isa.Runtime.Memory;
using Isa.Tests.Backends.Jit;

namespace Isa.Vcpu.Tests;

/// <summary>The JIT's code inside KVM vCPUs against the interpreter (the lockstep machinery with the KVM host).</summary>
public sealed class KvmJitTests
{
    private static readonly JitOptions Kvm = new() { Hypervisor = KvmHypervisor.Open, InterpretFirstVisit = false };

    // Each sequence opens a VM: fewer than in process (the CI runs these under emulation), still enough
    // for every instruction of every spec to appear (16 x 24 = 384 >= allegrex's 364; the harness checks it).
    private const int Sequences = 16;

    // Six instructions each: enough for every floating-point candidate of a spec to appear (the harness checks it).
    private const int FloatSequences = 40;

    /// <summary>
    /// A loop inside the vCPU: 100 iterations in one run, or 65536 in runs of 5000 instructions with
    /// the profile picking resident registers after 20000 (its counters written by code inside the
    /// vCPU; the switch between two runs: a flush, the stubs patched in place, v0 and v1 in host
    /// registers from then on).
    /// </summary>
    [KvmTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void AGuestLoopRunsInsideTheVcpu(bool switchesToResidentRegisters)
    {
        GuestIsa isa = IsaCatalog.Find("mips32el")!;
        using var memory = new GuestMemory();
        memory.Map(0x1_0000, GuestMemory.PageSize, MemoryPermissions.Read | MemoryPermissions.Execute);
        memory.Map(0x2_0000, GuestMemory.PageSize, MemoryPermissions.ReadWrite);
        uint iterations = switchesToResidentRegisters ? 65536u : 100u;
        uint[] program =
        [
            0x24020000, // addiu v0, zero, 0
            switchesToResidentRegisters ? 0x3C030001u : 0x24030064u, // lui v1, 1 or addiu v1, zero, 100
            0x24420003, // loop: addiu v0, v0, 3
            0x2463FFFF, // addiu v1, v1, -1
            0x1460FFFD, // bnez v1, loop
            0x00000000, // nop
            0x3C040002, // lui a0, 2
            0xAC820010, // sw v0, 16(a0)
            0x0000000D, // break
        ];
        memory.Poke(0x1_0000, program.SelectMany(BitConverter.GetBytes).ToArray());
        using var engine = new JitEngine(isa, memory, switchesToResidentRegisters ? Kvm with { ResidentProfileInstructions = 20_000 } : Kvm);
        ICpu cpu = engine.CreateCpu();
        cpu.Pc = 0x1_0000;
        CpuExit exit = switchesToResidentRegisters ? LockstepHarness.RunInBudgets(cpu, 5_000) : cpu.Run(10_000);
        Assert.Equal(TrapKind.Breakpoint, exit.Kind);
        Assert.Equal(3UL * iterations, cpu.GetRegister(0, 2));
        Assert.Equal(3 * iterations, memory.Read32(0x2_0010));
        Assert.True(engine.Statistics.Blocks > 0);
        if (switchesToResidentRegisters)
        {
            Assert.Contains("v0", engine.Statistics.ResidentRegisters, StringComparison.Ordinal);
            Assert.Equal(1, engine.Statistics.Flushes);
        }
    }

    [KvmTheory]
    [InlineData("mips32el")]
    [InlineData("mips32")]
    [InlineData("allegrex")]
    [InlineData("rv32")]
    public void RandomSequencesMatchTheInterpreter(string isaName)
    {
        if (IsaCatalog.Find(isaName) is null)
        {
            Assert.Fail($"no ISA {isaName}: the catalog is {string.Join(", ", IsaCatalog.All.Select(i => i.Name))}");
        }

        LockstepHarness.RandomSequencesMatchTheInterpreter(isaName, Kvm, 0x4b56, Sequences, randomResidents: true);
    }

    /// <summary>
    /// Floating point with the KVM host on its native paths: the VEX-encoded ones (FMA for the products, quotients and
    /// square roots) run inside the vCPU now that it has the AVX state.
    /// </summary>
    [KvmTheory]
    [InlineData("mips32el")]
    [InlineData("allegrex")]
    public void FloatingPointSequencesMatchTheInterpreterOnTheNativePaths(string isaName)
    {
        GuestIsa isa = IsaCatalog.Find(isaName)!;
        using var memory = new GuestMemory();
        using (var engine = new JitEngine(isa, memory, Kvm))
        {
            Assert.Equal(new JitOptions().HostFeatures, engine.Options.HostFeatures);
            Assert.True((engine.Options.HostFeatures & HostFeatures.Fma) != 0, "the CPU under test has no FMA: the native paths cannot be tested here");
        }

        LockstepHarness.FloatingPointSequencesMatchTheInterpreter(isaName, Kvm, 0x4b56, FloatSequences);
    }

    /// <summary>
    /// A TLB shootdown: thread A's vCPU loops reading a page (and counting in another), thread B unmaps the page. When
    /// Unmap returns, A's vCPU can no longer read it: A faults at the load within the iteration it was in, as the
    /// interpreter would, rather than at its next exit from the vCPU (its budget would allow billions of iterations).
    /// </summary>
    [KvmFact]
    public void AnUnmapByOneThreadStopsAnotherThreadsRunningVcpuAtOnce()
    {
        GuestIsa isa = IsaCatalog.Find("mips32el")!;
        using var memory = new GuestMemory();
        memory.Map(0x1_0000, GuestMemory.PageSize, MemoryPermissions.Read | MemoryPermissions.Execute);
        memory.Map(0x2_0000, GuestMemory.PageSize, MemoryPermissions.ReadWrite);
        memory.Map(0x3_0000, GuestMemory.PageSize, MemoryPermissions.Read);
        uint[] program =
        [
            0x3C040003, // lui a0, 3
            0x3C050002, // lui a1, 2
            0x24020000, // addiu v0, zero, 0
            0x8C880000, // loop: lw t0, 0(a0)
            0x24420001, // addiu v0, v0, 1
            0xACA20000, // sw v0, 0(a1)
            0x1000FFFC, // b loop
            0x00000000, // nop
        ];
        memory.Poke(0x1_0000, program.SelectMany(BitConverter.GetBytes).ToArray());
        using var engine = new JitEngine(isa, memory, Kvm);
        CpuExit exit = default;
        Exception? failure = null;
        var a = new Thread(() =>
        {
            try
            {
                ICpu cpu = engine.CreateCpu();
                cpu.Pc = 0x1_0000;
                exit = cpu.Run(1L << 40);
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        a.Start();
        while (memory.Read32(0x2_0000) < 1000 && a.IsAlive)
        {
            Thread.Sleep(1);
        }

        memory.Unmap(0x3_0000, GuestMemory.PageSize);
        uint count = memory.Read32(0x2_0000);
        a.Join();
        Assert.Null(failure);

        Assert.Equal(new CpuExit(TrapKind.MemoryFault, 0x1_000C, 0x3_0000), exit);
        Assert.InRange(memory.Read32(0x2_0000), count, count + 1);
    }

    [KvmTheory]
    [InlineData("mips32el")]
    [InlineData("mips32")]
    public void AStoreIntoTranslatedCodeIsSeenByTheNextRun(string isaName)
        => LockstepHarness.AStoreIntoTranslatedCodeIsSeenByTheNextRun(isaName, Kvm);

    /// <summary>The code space flushed many times while its code runs inside the vCPU (which maps it once).</summary>
    [KvmFact]
    public void ATinyCodeSpaceFlushesManyTimesInsideTheVcpu()
        => CodeSpaceHarness.ChainOfBlocksMatchesTheInterpreterInATinyCodeSpace(Kvm);
}
