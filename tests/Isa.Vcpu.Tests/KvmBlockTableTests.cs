using Isa.Backends.Jit;
using Isa.Backends.Vcpu.Kvm;
using Isa.Guests;
using Isa.Runtime.Cpu;
using Isa.Runtime.Memory;
using Isa.Tests.Backends.Jit;

namespace Isa.Vcpu.Tests;

/// <summary>
/// Computed jumps and returns inside KVM vCPUs through the block table at GS base: many targets spread
/// over the table (several 2 MiB regions of it), a call chain whose returns each go somewhere else,
/// a target whose code changed, several guest threads at once.
/// </summary>
public sealed class KvmBlockTableTests
{
    private const uint Main = 0x1_0000, Pointers = 0x2_0000, Stack = 0x3_0000, Functions = 0x40_0000;
    private const uint Spacing = 0x1_0010; // 64 KiB apart: each function's entry in its own table page, 128 KiB apart
    private const int Count = 48;
    private const int V0 = 2, T0 = 8, T9 = 25, S0 = 16, Sp = 29, Ra = 31;
    private const uint Nop = 0, Break = 0x0000000D;

    private static readonly JitOptions Kvm = new() { Hypervisor = KvmHypervisor.Open, InterpretFirstVisit = false };

    private static uint Addiu(int rt, int rs, int imm) => 0x24000000u | ((uint)rs << 21) | ((uint)rt << 16) | (ushort)imm;

    private static uint Lw(int rt, int offset, int baseRegister) => 0x8C000000u | ((uint)baseRegister << 21) | ((uint)rt << 16) | (ushort)offset;

    private static uint Sw(int rt, int offset, int baseRegister) => 0xAC000000u | ((uint)baseRegister << 21) | ((uint)rt << 16) | (ushort)offset;

    private static uint Jalr(int rs) => ((uint)rs << 21) | (31u << 11) | 0x09;

    private static uint Jr(int rs) => ((uint)rs << 21) | 0x08;

    private static uint Bnez(int rs, int offset) => 0x14000000u | ((uint)rs << 21) | (ushort)offset;

    private static uint Function(int k) => Functions + ((uint)k * Spacing);

    /// <summary>
    /// Main calls through the pointer table (s0) <paramref name="rounds"/> times. Flat: each round
    /// calls every function from one call site (one jalr, many targets; every return to one place).
    /// Chained: each round calls function 0, which calls 1, ... (each saves ra on the stack), so the
    /// returns go to as many places. Function k adds k + 1 to v0.
    /// </summary>
    private static (GuestMemory Memory, ulong Expected) Program(GuestIsa isa, int rounds, bool chained)
    {
        var memory = new GuestMemory();
        memory.Map(Main, GuestMemory.PageSize, MemoryPermissions.Read | MemoryPermissions.Execute);
        memory.Map(Pointers, GuestMemory.PageSize, MemoryPermissions.ReadWrite);
        memory.Map(Stack, 16 * GuestMemory.PageSize, MemoryPermissions.ReadWrite);
        memory.Map(Functions, (((ulong)Count * Spacing) + GuestMemory.PageSize) & ~(ulong)GuestMemory.PageMask, MemoryPermissions.Read | MemoryPermissions.Write | MemoryPermissions.Execute);
        uint[] main = chained
            ?
            [
                Addiu(T0, 0, rounds),
                Lw(T9, 0, S0), // loop:
                Jalr(T9),
                Nop,
                Addiu(T0, T0, -1),
                Bnez(T0, -5),
                Nop,
                Break,
            ]
            :
            [
                Addiu(T0, 0, rounds),
                Addiu(9, S0, 0), // outer loop: t1 = the pointer table
                Addiu(10, 0, Count), // t2 = functions left this round
                Lw(T9, 0, 9), // inner loop:
                Jalr(T9),
                Nop,
                Addiu(9, 9, 4),
                Addiu(10, 10, -1),
                Bnez(10, -6),
                Nop,
                Addiu(T0, T0, -1),
                Bnez(T0, -11),
                Nop,
                Break,
            ];
        LockstepHarness.WriteWords(isa, memory, Main, main);
        ulong expected = 0;
        for (int k = 0; k < Count; k++)
        {
            memory.Write32(Pointers + ((uint)k * 4), Function(k));
            expected += (ulong)(k + 1) * (ulong)rounds;
            uint[] body = chained && k + 1 < Count
                ?
                [
                    Addiu(Sp, Sp, -8),
                    Sw(Ra, 0, Sp),
                    Addiu(V0, V0, k + 1),
                    Lw(T9, (k + 1) * 4, S0),
                    Jalr(T9),
                    Nop,
                    Lw(Ra, 0, Sp),
                    Addiu(Sp, Sp, 8),
                    Jr(Ra),
                    Nop,
                ]
                : [Addiu(V0, V0, k + 1), Jr(Ra), Nop];
            LockstepHarness.WriteWords(isa, memory, Function(k), body);
        }

        return (memory, expected);
    }

    private static CpuExit Run(ICpu cpu, long budget = 1_000_000)
    {
        cpu.SetRegister(0, V0, 0);
        cpu.SetRegister(0, S0, Pointers);
        cpu.SetRegister(0, Sp, Stack + (16 * GuestMemory.PageSize));
        cpu.Pc = Main;
        return cpu.Run(budget);
    }

    [KvmTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void ComputedCallsAndReturnsFindTheirTargetsInTheTable(bool chained)
    {
        GuestIsa isa = IsaCatalog.Find("mips32el")!;
        (GuestMemory memory, ulong expected) = Program(isa, rounds: 4, chained);
        using (memory)
        using (var engine = new JitEngine(isa, memory, Kvm))
        {
            ICpu cpu = engine.CreateCpu();
            Assert.Equal(TrapKind.Breakpoint, Run(cpu).Kind);
            Assert.Equal(expected, cpu.GetRegister(0, V0));

            // Every target and return address is in the table now: the same work again misses nowhere.
            long misses = engine.Statistics.LookupMisses;
            Assert.InRange(misses, 1, 4L * Count);
            Assert.Equal(TrapKind.Breakpoint, Run(cpu).Kind);
            Assert.Equal(expected, cpu.GetRegister(0, V0));
            Assert.Equal(misses, engine.Statistics.LookupMisses);
        }
    }

    [KvmFact]
    public void AChangedTargetIsReenteredThroughTheMissStub()
    {
        GuestIsa isa = IsaCatalog.Find("mips32el")!;
        (GuestMemory memory, ulong expected) = Program(isa, rounds: 3, chained: false);
        using (memory)
        using (var engine = new JitEngine(isa, memory, Kvm))
        {
            ICpu cpu = engine.CreateCpu();
            Assert.Equal(TrapKind.Breakpoint, Run(cpu).Kind);
            Assert.Equal(expected, cpu.GetRegister(0, V0));

            // Function 5 now adds 1000 instead of 6: its block is dropped and its table entry misses again.
            LockstepHarness.WriteWords(isa, memory, Function(5), [Addiu(V0, V0, 1000)], viaWrite: true);
            long misses = engine.Statistics.LookupMisses;
            Assert.Equal(TrapKind.Breakpoint, Run(cpu).Kind);
            Assert.Equal(expected + (3 * (1000 - 6)), cpu.GetRegister(0, V0));
            Assert.True(engine.Statistics.Invalidations > 0);
            Assert.InRange(engine.Statistics.LookupMisses - misses, 1, 4);
        }
    }

    [KvmFact]
    public void SeveralThreadsShareTheTable()
    {
        GuestIsa isa = IsaCatalog.Find("mips32el")!;
        (GuestMemory memory, ulong expected) = Program(isa, rounds: 3, chained: false);
        const int Threads = 3;
        using (memory)
        using (var engine = new JitEngine(isa, memory, Kvm))
        {
            var results = new (TrapKind Kind, ulong V0)[Threads];
            var errors = new Exception?[Threads];
            var threads = new Thread[Threads];
            for (int t = 0; t < Threads; t++)
            {
                int index = t;
                ICpu cpu = engine.CreateCpu();
                threads[t] = new Thread(() =>
                {
                    try
                    {
                        // Each thread has its own stack, so the calls of one never clobber another's.
                        cpu.SetRegister(0, V0, 0);
                        cpu.SetRegister(0, S0, Pointers);
                        cpu.SetRegister(0, Sp, Stack + (uint)((index + 1) * 4 * GuestMemory.PageSize));
                        cpu.Pc = Main;
                        results[index] = (cpu.Run(1_000_000).Kind, cpu.GetRegister(0, V0));
                    }
                    catch (Exception e)
                    {
                        errors[index] = e;
                    }
                });
                threads[t].Start();
            }

            foreach (Thread thread in threads)
            {
                thread.Join();
            }

            Assert.All(errors, e => Assert.Null(e));
            Assert.All(results, r => Assert.Equal((TrapKind.Breakpoint, expected), r));
        }
    }
}
