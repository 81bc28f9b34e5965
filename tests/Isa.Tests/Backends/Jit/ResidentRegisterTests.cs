using Isa.Backends.Jit;
using Isa.Guests;
using Isa.Runtime.Cpu;
using Isa.Runtime.Jit;
using Isa.Runtime.Memory;

namespace Isa.Tests.Backends.Jit;

/// <summary>
/// Guest registers resident in host registers across blocks: the profile that picks them, the switch
/// (a flush, the stubs patched in place) between two runs, and the options' checks. The lockstep tests
/// run random sequences and delay-slot faults with resident registers.
/// </summary>
public sealed class ResidentRegisterTests
{
    private static readonly GuestIsa Mips = IsaCatalog.Find("mips32el")!;

    [Theory]
    [InlineData(MemoryAddressing.GsSegment)]
    [InlineData(MemoryAddressing.BaseRegister)]
    public void ALoopSwitchesToItsBusiestRegistersBetweenTwoRuns(MemoryAddressing addressing)
    {
        using var memory = new GuestMemory();
        memory.Map(0x1_0000, GuestMemory.PageSize, MemoryPermissions.Read | MemoryPermissions.Execute);
        memory.Map(0x2_0000, GuestMemory.PageSize, MemoryPermissions.ReadWrite);
        uint[] program =
        [
            0x24020000, // addiu v0, zero, 0
            0x3C030001, // lui v1, 1 (65536 iterations)
            0x3C040002, // lui a0, 2
            0x8C850000, // loop: lw a1, 0(a0)
            0x24420003, // addiu v0, v0, 3
            0x00A22821, // addu a1, a1, v0
            0xAC850000, // sw a1, 0(a0)
            0x2463FFFF, // addiu v1, v1, -1
            0x1460FFFA, // bnez v1, loop
            0x00000000, // nop
            0x0000000D, // break
        ];
        memory.Poke(0x1_0000, program.SelectMany(BitConverter.GetBytes).ToArray());
        using var engine = new JitEngine(Mips, memory, new JitOptions { Addressing = addressing, ResidentProfileInstructions = 20_000 });
        ICpu cpu = engine.CreateCpu();
        cpu.Pc = 0x1_0000;
        Assert.Equal(TrapKind.Breakpoint, LockstepHarness.RunInBudgets(cpu, 5_000).Kind);
        Assert.Equal(3UL * 65536, cpu.GetRegister(0, 2));
        uint sum = 0;
        for (uint i = 1; i <= 65536; i++)
        {
            sum += 3 * i;
        }

        Assert.Equal(sum, memory.Read32(0x2_0000));
        // The loop's registers, ranked by uses times runs (v0 and a1 three uses, a0 two, v1 two), and
        // only those: the set-up block ran once, on the interpreter, so the profile never counted it.
        string[] resident = engine.Statistics.ResidentRegisters!.Split(' ');
        Assert.Equal(["a1", "v0"], resident[..2].Order());
        Assert.Equal(["a0", "v1"], resident[2..].Order());
        Assert.Equal(1, engine.Statistics.Flushes);
    }

    [Fact]
    public void WithoutAProfileNoRegisterIsResident()
    {
        using var memory = new GuestMemory();
        using var engine = new JitEngine(Mips, memory, new JitOptions { ResidentRegisterCount = 0 });
        Assert.Null(engine.Statistics.ResidentRegisters);
    }

    [Fact]
    public void ResidentRegistersThatCannotLiveInAHostRegisterAreAClearError()
    {
        using var memory = new GuestMemory();
        (int, int)[][] wrong = [[(0, 0)], [(0, 32)], [(0, 4), (0, 4)], [(0, 1), (0, 2), (0, 3), (0, 4), (0, 5), (0, 6), (0, 7)]];
        foreach ((int, int)[] registers in wrong)
        {
            var error = Assert.Throws<ArgumentException>(() => new JitEngine(Mips, memory, new JitOptions { ResidentRegisters = registers }));
            Assert.Contains("resident", error.Message, StringComparison.Ordinal);
        }
    }
}
