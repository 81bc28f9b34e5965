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

    /// <summary>
    /// The same with guest registers resident in host registers across blocks (every other sequence
    /// its own random set, of any register file): links, loops, call-outs, traps and faults between
    /// blocks that keep them in registers.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void RandomSequencesWithResidentRegistersMatchTheInterpreter(string isaName, MemoryAddressing addressing)
        => LockstepHarness.RandomSequencesMatchTheInterpreter(
            isaName, new JitOptions { Addressing = addressing, InterpretFirstVisit = false }, 31 + (int)addressing, Sequences, randomResidents: true);

    /// <summary>
    /// The same in superblocks from the first translation (no profile first): the random conditional
    /// branches mostly not taken (<c>beq</c> on random registers) keep a sequence in one block of up to
    /// eight segments, the taken ones leave it midway.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void RandomSequencesInSuperblocksMatchTheInterpreter(string isaName, MemoryAddressing addressing)
        => LockstepHarness.RandomSequencesMatchTheInterpreter(
            isaName, new JitOptions { Addressing = addressing, InterpretFirstVisit = false, ResidentRegisterCount = 0, SuperblockSegments = 8 }, 57 + (int)addressing, Sequences / 2, randomResidents: true);

    /// <summary>
    /// Sequences whose instructions name a register twice where they can (<c>subu v0, a0, v0</c>,
    /// <c>sltu v0, v0, v1</c>, <c>lw a0, 4(a0)</c>), with and without resident registers and the optional
    /// CPU features: results computed straight into a destination that is also a source.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void SequencesWithAliasedOperandsMatchTheInterpreter(string isaName, MemoryAddressing addressing)
    {
        var options = new JitOptions { Addressing = addressing, InterpretFirstVisit = false };
        LockstepHarness.RandomSequencesMatchTheInterpreter(isaName, options, 43 + (int)addressing, Sequences / 2, randomResidents: true, aliased: true);
        LockstepHarness.RandomSequencesMatchTheInterpreter(isaName, options with { HostFeatures = HostFeatures.None }, 47 + (int)addressing, Sequences / 3, aliased: true);
    }

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
    /// to the block's start), a slot that writes the branch's register (captured for the branch), a call
    /// whose slot reads the link register, a likely branch taken and not taken, traps in the delay
    /// slot of a taken and a not-taken branch (the pending target must be in the state), and an array
    /// index (<c>sll</c>, <c>addu</c>: one x64 <c>lea</c>) whose store faults past the data region.
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
            // loop: sll v0, t0, 2; addu v0, a0, v0 (one lea); sw t0, 0(v0) (faults past the data); addiu t0, t0, -1; bnez t0, loop; nop
            [0x00081080, 0x00821021, 0xAC480000, 0x2508FFFF, 0x1500FFFB, Nop, Break],
        ];
        for (int p = 0; p < programs.Length; p++)
        {
            foreach ((uint t0, uint t1) in new[] { (40u, 0u), (1u, 0x7FFF_FFFFu), (0u, 0x7FFF_FFFFu), (3u, 5u) })
            {
                LockstepHarness.RunBoth(isa, WithResidents(options with { Addressing = (MemoryAddressing)(p % 2) }, (int)t0 + p), programs[p], p, p, setup: cpu => Registers(cpu, t0, t1), budget: budget);
            }
        }
    }

    /// <summary>
    /// Superblocks (blocks going on past not-taken conditional branches) against the interpreter, whole
    /// and in small budgets (a superblock is charged whole; a branch taken inside it gives back the
    /// rest), both addressing modes, with and without resident registers, 2 to 8 segments: a scanner
    /// loop whose back edge is a branch inside the block (the side exit that loops keeps registers),
    /// with an exit in its first segment, slots that write their branch's register, a load in the
    /// slot of the last branch; and a block whose branches inside fold (a constant condition, not taken
    /// and taken: the block ends there), a not-taken <c>bgezal</c> that still links, an overflow trap, a
    /// fault and a misaligned load in later segments, after stores; and loads in the slots of branches
    /// inside the block that fault (they restart at their branch), at the end of the data.
    /// </summary>
    [Theory]
    [MemberData(nameof(MipsBranchCases))]
    public void SuperblocksMatchTheInterpreter(string isaName, int budget)
    {
        GuestIsa isa = IsaCatalog.Find(isaName)!;
        ulong[][] programs =
        [
            // loop: lbu t2,0(a0); addiu a0,a0,1; beqz t2,done; addiu v0,v0,1; li t3,44; beq t2,t3,comma; li a3,1;
            // addiu t4,t2,-48; sltiu t4,t4,10; bnez t4,loop; li t4,1 (slot writes the branch's register);
            // addiu v1,v1,1; b loop; nop; comma: addiu s0,s0,1; b loop; lw t5,0(a0); done: break
            [0x908A0000, 0x24840001, 0x1140000E, 0x24420001, 0x240B002C, 0x114B0008, 0x24070001, 0x254CFFD0, 0x2D8C000A,
             0x1580FFF6, 0x240C0001, 0x24630001, 0x1000FFF3, 0x00000000, 0x26100001, 0x1000FFF0, 0x8C8D0000, 0x0000000D],
            // li t0,3; top: bnez t0,next; addiu t0,t0,-1; next: li t3,0; bnez t3,away (never taken); addiu v0,v0,5;
            // bgezal t1,away; addu v1,v1,v0; beq v1,t1,away; add v0,v0,t1 (overflows); lw t5,4(a0) (faults);
            // bgtz t0,top; sw v0,0(a0); lw t6,3(a0) (misaligned); break; away: addiu s1,s1,1; jr ra; nop
            [0x24080003, 0x15000001, 0x2508FFFF, 0x240B0000, 0x1560000A, 0x24420005, 0x05310008, 0x00621821, 0x10690006,
             0x00491020, 0x8C8D0004, 0x1D00FFF5, 0xAC820000, 0x8C8E0003, 0x0000000D, 0x26310001, 0x03E00008, 0x00000000],
            // loop: lw t2,0(a0); beq t2,t1,out; lw t3,4(a0) (a slot that may fault: it restarts at its branch);
            // addu v0,v0,t3; bne t3,t1,skip; lh t4,2(a0); addu v1,v1,t4; skip: addiu a0,a0,8; addiu t0,t0,-1;
            // bnez t0,loop; sw v0,-4(a0); out: break
            [0x8C8A0000, 0x11490009, 0x8C8B0004, 0x004B1021, 0x15690002, 0x848C0002, 0x006C1821, 0x24840008, 0x2508FFFF,
             0x1500FFF6, 0xAC82FFFC, 0x0000000D],
        ];
        byte[] text = "12,345,x9,,0x1f,7e+3,"u8.ToArray();
        for (int p = 0; p < programs.Length; p++)
        {
            foreach (int segments in new[] { 2, 4, 8 })
            {
                var options = new JitOptions { InterpretFirstVisit = false, ResidentRegisterCount = 0, SuperblockSegments = segments, Addressing = (MemoryAddressing)((p + segments) % 2) };
                const uint End = LockstepHarness.Data + LockstepHarness.DataSize;
                foreach ((uint a0, uint t1) in new[] { (LockstepHarness.Data, 0u), (LockstepHarness.Data + 64, 0x7FFF_FFFFu), (0x7000_0000u, 5u), (LockstepHarness.Data, 0xFFFF_FFF0u), (End - 4, 1u), (End - 24, 2u) })
                {
                    LockstepHarness.RunBoth(
                        isa,
                        WithResidents(options, segments + (int)(a0 >> 4)),
                        programs[p],
                        p,
                        p,
                        setup: cpu =>
                        {
                            cpu.SetRegister(0, 4, a0);
                            cpu.SetRegister(0, 8, 5);
                            cpu.SetRegister(0, 9, t1);
                        },
                        budget: budget,
                        memorySetup: memory =>
                        {
                            memory.Write(LockstepHarness.Data, text);
                            memory.Write8(LockstepHarness.Data + (uint)text.Length, 0);
                            memory.Write32(LockstepHarness.Data + 24, 0);
                        });
                }
            }
        }
    }

    /// <summary>
    /// A store that rewrites a later segment of its own superblock (the delay slot of its second branch,
    /// on a writable code page): the rest of the block must run the new instruction, as on the
    /// interpreter, taken and not taken, whole and in small budgets.
    /// </summary>
    [Theory]
    [MemberData(nameof(MipsBranchCases))]
    public void ASuperblockRewritingItsOwnLaterSegmentMatchesTheInterpreter(string isaName, int budget)
    {
        GuestIsa isa = IsaCatalog.Find(isaName)!;
        // sw t1,20(t0); beq t2,t3,out; nop; li v0,1; bne t2,t4,out2; addiu v0,v0,1 (rewritten: addiu v0,v0,100);
        // addiu v0,v0,1; out2: addiu v1,v1,7; out: break
        ulong[] program = [0xAD090014, 0x114B0006, 0x00000000, 0x24020001, 0x154C0002, 0x24420001, 0x24420001, 0x24630007, 0x0000000D];
        foreach ((uint t2, uint t4, MemoryAddressing addressing) in new[] { (1u, 2u, MemoryAddressing.GsSegment), (1u, 1u, MemoryAddressing.BaseRegister), (3u, 3u, MemoryAddressing.GsSegment) })
        {
            var options = new JitOptions { InterpretFirstVisit = false, ResidentRegisterCount = 0, Addressing = addressing };
            LockstepHarness.RunBoth(
                isa,
                options,
                program,
                (int)t2,
                (int)t4,
                setup: cpu =>
                {
                    cpu.SetRegister(0, 8, LockstepHarness.Code);
                    cpu.SetRegister(0, 9, 0x24420064);
                    cpu.SetRegister(0, 10, t2);
                    cpu.SetRegister(0, 11, 0);
                    cpu.SetRegister(0, 12, t4);
                },
                budget: budget,
                memorySetup: memory => memory.Protect(LockstepHarness.Code, GuestMemory.PageSize, MemoryPermissions.Read | MemoryPermissions.Write | MemoryPermissions.Execute));
        }
    }

    /// <summary>
    /// Loads and stores in the delay slots of loop branches (the memset/memcpy shape), emitted before
    /// their branch: where the slot faults or traps (an unmapped page, a read-only page, a misaligned
    /// access, a store into the block's own code page, overwriting the loop itself) the state must be
    /// the interpreter's (exit, PC, registers, memory, instructions retired), on the taken and the
    /// not-taken iteration, whole and in small budgets, in both addressing modes. Slots that write a
    /// register they read, or that a call's link register feeds, keep their place.
    /// </summary>
    [Theory]
    [MemberData(nameof(MipsBranchCases))]
    public void MemoryAccessesInDelaySlotsMatchTheInterpreter(string isaName, int budget)
    {
        GuestIsa isa = IsaCatalog.Find(isaName)!;
        const ulong Break = 0x0000000D, AddA1 = 0x24A50004, Loop = 0x14A8FFFE; // addiu a1, a1, 4; bne a1, t0, loop
        const uint ReadOnly = LockstepHarness.Data + LockstepHarness.DataSize, Unmapped = ReadOnly + GuestMemory.PageSize, Code = LockstepHarness.Code;
        (ulong[] Words, bool? Restarts)[] programs =
        [
            ([AddA1, Loop, 0xACA4FFFC, Break], true), // sw a0, -4(a1)
            ([AddA1, Loop, 0x8CA9FFFC, Break], true), // lw t1, -4(a1)
            ([AddA1, Loop, 0x84A9FFFC, Break], true), // lh t1, -4(a1): misaligned on odd addresses
            ([AddA1, Loop, 0xA0A4FFFF, Break], true), // sb a0, -1(a1)
            ([AddA1, Loop, 0xA8A4FFFC, Break], null), // swl a0, -4(a1) (restarts if its semantics allow: not asserted)
            ([AddA1, Loop, 0x88A9FFFC, Break], false), // lwl t1, -4(a1): reads t1, keeps its place
            ([AddA1, Loop, 0x8CC6FFFC, Break], false), // lw a2, -4(a2): writes what it reads, keeps its place
            ([AddA1, Loop, 0xC4A0FFFC, Break], true), // lwc1 $f0, -4(a1)
            ([AddA1, 0x1000FFFE, 0xACA4FFFC, Break], true), // b loop; sw a0, -4(a1) (until it faults)
            ([AddA1, 0x08004000, 0xA0A4FFFF, Break], true), // j loop; sb a0, -1(a1)
            // jal sub; sw ra, -4(a1) (reads the link: keeps its place); break; sub: bne a1, t0, loop; sw a0, -4(a1); break
            ([AddA1, 0x0C004004, 0xACBFFFFC, Break, 0x14A8FFFB, 0xACA4FFFC, Break], false),
            // jal sub; addu v1, ra, zero (reads the link, cannot leave: stays after the jump, no NextPc); break; sub as above
            ([AddA1, 0x0C004004, 0x03E01821, Break, 0x14A8FFFB, 0xACA4FFFC, Break], false),
        ];

        // (a1, t0): the loop's pointer and end.
        (uint Start, uint End)[] walks =
        [
            (LockstepHarness.Data + 0x100, LockstepHarness.Data + 0x114), // succeeds
            (ReadOnly - 0x10, ReadOnly + 0x10), // stores fault on the read-only page (taken branch)
            (ReadOnly - 0x10, ReadOnly + 4), // ... on the not-taken iteration
            (Unmapped - 0x10, Unmapped + 0x10), // loads fault on the unmapped page (taken)
            (Unmapped - 0x10, Unmapped + 4), // ... not taken
            (LockstepHarness.Data + 0x101, LockstepHarness.Data + 0x115), // misaligned
            (Code + 0x800, Code + 0x810), // stores into the translated block's own page
            (Code, Code + 0x40), // the first store overwrites the loop's first instruction
        ];

        var options = new JitOptions { InterpretFirstVisit = false };
        void Memory(GuestMemory memory)
        {
            memory.Protect(Code, GuestMemory.PageSize, MemoryPermissions.Read | MemoryPermissions.Write | MemoryPermissions.Execute);
            memory.Map(ReadOnly, GuestMemory.PageSize, MemoryPermissions.Read);
        }

        for (int p = 0; p < programs.Length; p++)
        {
            if (programs[p].Restarts is { } restarts)
            {
                Assert.True(restarts == SlotRestartsAtBranch(isa, programs[p].Words), $"program {p}: a slot that restarts at its branch is {restarts}");
            }

            for (int w = 0; w < walks.Length; w++)
            {
                (uint start, uint end) = walks[w];

                LockstepHarness.RunBoth(isa, WithResidents(options with { Addressing = (MemoryAddressing)((p + w) % 2) }, w + (p / 2)), programs[p].Words, p * 31 + w, p, budget: budget, memorySetup: Memory, setup: cpu =>
                {
                    // a0, what the stores write: over the loop a word is a jal out of the page, a byte or
                    // halfword a jal or an addiu that moves on (not one that ends in a loop that never ends).
                    cpu.SetRegister(0, 4, 0x0D00000D);
                    cpu.SetRegister(0, 5, start);
                    cpu.SetRegister(0, 6, start);
                    cpu.SetRegister(0, 8, end);
                });
            }
        }
    }

    /// <summary>
    /// Delay slots that overwrite a register their branch reads (<c>bnez t0, loop; addiu t0, t0, -1</c>):
    /// the old value is captured for the branch, so the slot goes before it and the branch exits
    /// directly. Loops counting down and up, a one-instruction loop, a slot copying the other input, a
    /// constant the block knows, a list walk whose load faults (unmapped page, misaligned) on a taken
    /// and a not-taken iteration, an overflow trap in the slot, and the shapes that keep their place
    /// (a slot that reads what it writes and may leave, one that writes the branch's link register);
    /// whole and in small budgets, both addressing modes, against the interpreter.
    /// </summary>
    [Theory]
    [MemberData(nameof(MipsBranchCases))]
    public void DelaySlotsThatWriteTheirBranchsRegisterMatchTheInterpreter(string isaName, int budget)
    {
        GuestIsa isa = IsaCatalog.Find(isaName)!;
        const ulong Break = 0x0000000D, Nop = 0;
        const uint ReadOnly = LockstepHarness.Data + LockstepHarness.DataSize, Unmapped = ReadOnly + GuestMemory.PageSize, List = LockstepHarness.Data + 0x100;
        const int V0 = 2, A1 = 5, A2 = 6, T0 = 8, T1 = 9;
        static Action<ICpu> Set(params (int Register, uint Value)[] values) => cpu =>
        {
            foreach ((int r, uint v) in values)
            {
                cpu.SetRegister(0, r, v);
            }
        };

        (ulong[] Words, bool SlotFirst, bool Restarts, Action<ICpu>[] Setups)[] programs =
        [
            // loop: addiu v0, v0, 1; bnez t0, loop; addiu t0, t0, -1
            ([0x24420001, 0x1500FFFE, 0x2508FFFF, Break], true, false, [Set((T0, 40)), Set((T0, 1)), Set((T0, 0))]),
            // loop: addiu v0, v0, 3; bne t0, t1, loop; addiu t0, t0, 4 (the slot writes one of two inputs)
            ([0x24420003, 0x1509FFFE, 0x25080004, Break], true, false, [Set((T0, 0), (T1, 40)), Set((T0, 8), (T1, 8)), Set((T0, 4), (T1, 8))]),
            // loop: bgtz t0, loop; addiu t0, t0, -1 (the whole block is the loop)
            ([0x1D00FFFF, 0x2508FFFF, Break], true, false, [Set((T0, 25)), Set((T0, 0)), Set((T0, 0x8000_0000))]),
            // beq t0, t1, +2; move t0, t1 (the slot makes the inputs equal); break; break
            ([0x11090002, 0x01204025, Break, Break], true, false, [Set((T0, 3), (T1, 3)), Set((T0, 3), (T1, 4))]),
            // beq t0, t0, +2; addiu t0, t0, 5 (one register read twice)
            ([0x11080002, 0x25080005, Break, Break], true, false, [Set((T0, 7))]),
            // li t0, 1; bnez t0, +2; li t0, 0 (a value the block knows: the branch folds)
            ([0x24080001, 0x15000002, 0x24080000, Break, Break], true, false, [Set()]),
            // loop: addiu a1, a1, 4; bne t1, t0, loop; lw t1, 0(a1) (a list walk until t0 is loaded)
            ([0x24A50004, 0x1528FFFE, 0x8CA90000, Break], true, true,
            [
                Set((A1, List - 4), (T1, 0), (T0, 14)), // loads 11, 12, 13, 14, then 15 after the not-taken branch
                Set((A1, Unmapped - 8), (T1, 1), (T0, 0xFFFF_FFFF)), // faults on the unmapped page, taken
                Set((A1, Unmapped - 8), (T1, 1), (T0, 0)), // ... not taken (the read-only page holds zeros)
                Set((A1, List - 3), (T1, 1), (T0, 0)), // misaligned
            ]),
            // bnez v0, +3; add v0, t1, t1 (overflows when t1 is large); break; break; break
            ([0x14400003, 0x01291020, Break, Break, Break], true, true, [Set((V0, 0), (T1, 0x7FFF_FFFF)), Set((V0, 5), (T1, 0x7FFF_FFFF)), Set((V0, 5), (T1, 3)), Set((V0, 0), (T1, 3))]),
            // loop: addiu v0, v0, 1; bltzal t0, sub; addiu t0, t0, 1; break; sub: jr ra; nop (the branch also links)
            ([0x24420001, 0x05100002, 0x25080001, Break, 0x03E00008, Nop], true, false, [Set((T0, 0xFFFF_FFFF)), Set((T0, 5))]),
            // loop: addiu v0, v0, 1; bnez a2, loop; lw a2, -4(a2) (reads what it writes and may leave: keeps its place)
            ([0x24420001, 0x14C0FFFE, 0x8CC6FFFC, Break], false, false, [Set((A2, List + 4)), Set((A2, 0))]),
            // bgezal t1, +2; addiu ra, ra, 8 (writes the branch's link register: keeps its place); break; break
            ([0x05310002, 0x27FF0008, Break, Break], false, false, [Set((T1, 0)), Set((T1, 0xFFFF_FFFF))]),
        ];

        var options = new JitOptions { InterpretFirstVisit = false };
        void Memory(GuestMemory memory)
        {
            memory.Map(ReadOnly, GuestMemory.PageSize, MemoryPermissions.Read);
            LockstepHarness.WriteWords(isa, memory, List, [11, 12, 13, 14, 15, 16], viaWrite: true);
        }

        for (int p = 0; p < programs.Length; p++)
        {
            (bool slotFirst, bool restarts) = SlotPlacement(isa, programs[p].Words);
            Assert.True(slotFirst == programs[p].SlotFirst, $"program {p}: the slot goes before its branch is {programs[p].SlotFirst}");
            Assert.True(restarts == programs[p].Restarts, $"program {p}: a slot that restarts at its branch is {programs[p].Restarts}");
            for (int s = 0; s < programs[p].Setups.Length; s++)
            {
                LockstepHarness.RunBoth(isa, WithResidents(options with { Addressing = (MemoryAddressing)((p + s) % 2) }, p + (s / 2)), programs[p].Words, (p * 17) + s, p, budget: budget, memorySetup: Memory, setup: programs[p].Setups[s]);
            }
        }
    }

    /// <summary>
    /// Computed jumps (<c>jr</c>, <c>jalr</c>) with their delay slot emitted before them, the target
    /// taken from its host register (no NextPc): loops through a jump table entry and calls with their
    /// returns, slots that write the target register (captured), that load it, that fault (an unmapped
    /// or read-only page, misaligned) or overflow (restarting at the jump), a <c>jalr</c> whose link
    /// register is its target, and the shapes that keep the NextPc way (a slot that writes or reads the
    /// link register, one that reads what it writes and may leave); misaligned targets; whole and in
    /// small budgets, both addressing modes, with and without resident registers, against the interpreter.
    /// </summary>
    [Theory]
    [MemberData(nameof(MipsBranchCases))]
    public void ComputedJumpsWithTheirSlotFirstMatchTheInterpreter(string isaName, int budget)
    {
        GuestIsa isa = IsaCatalog.Find(isaName)!;
        const int V0 = 2, V1 = 3, A0 = 4, A1 = 5, T0 = 8, T1 = 9, T2 = 10, T9 = 25, Sp = 29, Ra = 31;
        const uint Break = 0x0000000D, Nop = 0;
        const uint ReadOnly = LockstepHarness.Data + LockstepHarness.DataSize, Unmapped = ReadOnly + GuestMemory.PageSize, Table = LockstepHarness.Data + 0x100;
        const uint A = LockstepHarness.Code, B = A + 0x20, C = A + 0x40;
        static uint Addiu(int rt, int rs, int imm) => 0x24000000u | ((uint)rs << 21) | ((uint)rt << 16) | (ushort)imm;
        static uint Special(int rs, int rt, int rd, uint funct) => ((uint)rs << 21) | ((uint)rt << 16) | ((uint)rd << 11) | funct;
        static uint Jr(int rs) => Special(rs, 0, 0, 0x08);
        static uint Jalr(int rd, int rs) => Special(rs, 0, rd, 0x09);
        static uint Lw(int rt, int offset, int rs) => 0x8C000000u | ((uint)rs << 21) | ((uint)rt << 16) | (ushort)offset;
        static uint Sw(int rt, int offset, int rs) => 0xAC000000u | ((uint)rs << 21) | ((uint)rt << 16) | (ushort)offset;
        static Action<ICpu> Set(params (int Register, uint Value)[] values) => cpu =>
        {
            foreach ((int r, uint v) in values)
            {
                cpu.SetRegister(0, r, v);
            }
        };

        // A: addiu t0, t0, -1; <jump>; <slot>; bne t0, zero, A; nop; break ...
        // B (A + 0x20): the callee or the table's target: addiu v1, v1, 1; <jump back>; <slot>; break
        // C (A + 0x40): a second target: addiu v0, v0, 7; break
        uint bneA = 0x1500FFFC; // at A + 0x0c: bne t0, zero, A
        uint[] Program(uint jump, uint slot, uint backJump, uint backSlot) =>
            [Addiu(T0, T0, -1), jump, slot, bneA, Nop, Break, Break, Break, Addiu(V1, V1, 1), backJump, backSlot, Break, Break, Break, Break, Break, Addiu(V0, V0, 7), Break];

        // B jumps back to A's loop branch through t2 when called by jr (ra is not the way back).
        (string Name, uint[] Words, uint At, bool SlotFirst, bool Restarts, Action<ICpu>[] Setups)[] programs =
        [
            ("jr t1; addiu v0, v0, 1", Program(Jr(T1), Addiu(V0, V0, 1), Jr(T2), Nop), A, true, false,
                [Set((T0, 6), (T1, B), (T2, A + 0xc)), Set((T0, 1), (T1, B), (T2, A + 0xc)), Set((T0, 3), (T1, B + 2), (T2, A + 0xc))]),
            ("jr t1; move t1, t2 (the slot writes the target: captured)", Program(Jr(T1), Special(T2, 0, T1, 0x25), Jr(T2), Nop), A, true, false,
                [Set((T0, 4), (T1, B), (T2, A + 0xc)), Set((T0, 4), (T1, C), (T2, A + 0xc))]),
            ("jr t1; lw t1, 0(a0) (loads the next target: captured, restarts at the jump)", Program(Jr(T1), Lw(T1, 0, A0), Jr(T2), Nop), A, true, true,
                [
                    Set((T0, 5), (T1, B), (T2, A + 0xc), (A0, Table)),
                    Set((T0, 5), (T1, B), (T2, A + 0xc), (A0, Table + 4)), // the table says C
                    Set((T0, 5), (T1, B), (T2, A + 0xc), (A0, Unmapped + 8)),
                    Set((T0, 5), (T1, B), (T2, A + 0xc), (A0, Table + 2)),
                ]),
            ("jalr t9; addiu sp, sp, -8 / jr ra; addiu sp, sp, 8", Program(Jalr(Ra, T9), Addiu(Sp, Sp, -8), Jr(Ra), Addiu(Sp, Sp, 8)), A, true, false,
                [Set((T0, 7), (T9, B)), Set((T0, 2), (T9, C)), Set((T0, 2), (T9, B + 1))]),
            ("jalr t9; addiu ra, ra, 8 (writes the link: NextPc)", Program(Jalr(Ra, T9), Addiu(Ra, Ra, 8), Jr(Ra), Nop), A, false, false,
                [Set((T0, 3), (T9, B))]),
            ("jalr t9; addu v0, ra, v0 (reads the link: NextPc)", Program(Jalr(Ra, T9), Special(Ra, V0, V0, 0x21), Jr(Ra), Nop), A, false, false,
                [Set((T0, 3), (T9, B))]),
            ("jalr t9, t9 (the target is read before the link)", Program(Jalr(T9, T9), Addiu(V0, V0, 1), Jr(T9), Nop), A, true, false,
                [Set((T0, 3), (T9, B))]),
            ("jr ra; sw v0, 0(a1) (a store that faults: restarts at the jump)", Program(Jalr(Ra, T9), Nop, Jr(Ra), Sw(V0, 0, A1)), B, true, true,
                [Set((T0, 3), (T9, B), (A1, Table + 0x40)), Set((T0, 3), (T9, B), (A1, ReadOnly + 4)), Set((T0, 3), (T9, B), (A1, Unmapped)), Set((T0, 3), (T9, B), (A1, Table + 1))]),
            ("jr ra; add v0, t1, t1 (overflows: restarts at the jump)", Program(Jalr(Ra, T9), Nop, Jr(Ra), Special(T1, T1, V0, 0x20)), B, true, true,
                [Set((T0, 3), (T9, B), (T1, 5)), Set((T0, 3), (T9, B), (T1, 0x7FFF_FFFF))]),
            ("jr ra; lw ra, 0(a0) (loads the return address it jumps through)", Program(Jalr(Ra, T9), Nop, Jr(Ra), Lw(Ra, 0, A0)), B, true, true,
                [Set((T0, 3), (T9, B), (A0, Table)), Set((T0, 3), (T9, B), (A0, Unmapped))]),
            ("jr a0; lw a0, 0(a0) (reads what it writes and may leave: NextPc)", Program(Jr(A0), Lw(A0, 0, A0), Jr(T2), Nop), A, false, false,
                [Set((T0, 2), (A0, B), (T2, A + 0xc))]),
        ];

        var options = new JitOptions { InterpretFirstVisit = false };
        void Memory(GuestMemory memory)
        {
            memory.Map(ReadOnly, GuestMemory.PageSize, MemoryPermissions.Read);
            LockstepHarness.WriteWords(isa, memory, Table, [B, C], viaWrite: true);
        }

        for (int p = 0; p < programs.Length; p++)
        {
            (string name, uint[] words, uint at, bool slotFirst, bool restarts, Action<ICpu>[] setups) = programs[p];
            ulong[] program = words.Select(w => (ulong)w).ToArray();
            (bool first, bool restartsAtJump, bool throughNextPc) = JumpPlacement(isa, program, at);
            Assert.True(first == slotFirst, $"{name}: the slot goes before its jump is {slotFirst}");
            Assert.True(restartsAtJump == restarts, $"{name}: a slot that restarts at its jump is {restarts}");
            Assert.True(throughNextPc != slotFirst, $"{name}: the jump's target goes through NextPc is {!slotFirst}");
            for (int s = 0; s < setups.Length; s++)
            {
                LockstepHarness.RunBoth(isa, WithResidents(options with { Addressing = (MemoryAddressing)((p + s) % 2) }, p + (s / 2)), program, (p * 13) + s, p, budget: budget, memorySetup: Memory, setup: setups[s]);
            }
        }
    }

    public static TheoryData<string, MemoryAddressing> DelaySlotIsas() => InBothAddressingModes(IsaCatalog.All.Where(i => i.DelaySlot));

    /// <summary>
    /// Every instruction of the spec in the delay slot of a branch that reads the registers its rt and
    /// rd fields name (where MIPS instructions write), or of an FPU branch after a floating-point one:
    /// whatever the slot needs (temporaries, templates, floating-point exits, faults, traps), moved
    /// before its branch with captured inputs or kept in place, it ends as on the interpreter.
    /// </summary>
    [Theory]
    [MemberData(nameof(DelaySlotIsas))]
    public void EveryInstructionInASlotThatWritesItsBranchsRegistersMatchesTheInterpreter(string isaName, MemoryAddressing addressing)
    {
        GuestIsa isa = IsaCatalog.Find(isaName)!;
        const ulong Break = 0x0000000D;
        var random = new Random(isaName.Aggregate(41, (h, c) => (h * 31) + c) ^ (int)addressing);
        var options = new JitOptions { Addressing = addressing, InterpretFirstVisit = false };
        int runs = 0;
        for (int index = 0; index < isa.Instructions.Count; index++)
        {
            if ((isa.Instructions[index].Flags & (InstructionFlags.Jump | InstructionFlags.EndsBlock)) != 0)
            {
                continue;
            }

            ulong slot = LockstepHarness.RandomEncoding(isa, index, random);
            uint rt = (uint)(slot >> 16) & 31, rd = (uint)(slot >> 11) & 31;
            ulong branch = random.Next(6) switch
            {
                0 => 0x10000002 | (rt << 21) | (rd << 16), // beq rt, rd, +2
                1 => 0x14000002 | (rt << 21) | (rd << 16), // bne rt, rd, +2
                2 => 0x14000002 | (rd << 21) | (rt << 16), // bne rd, rt, +2
                3 => 0x04000002 | (rt << 21), // bltz rt, +2
                4 => 0x1C000002 | (rd << 21), // bgtz rd, +2
                _ => (isa.Instructions[index].Flags & InstructionFlags.FloatingPoint) != 0 ? 0x45010002UL : 0x04010002 | (rd << 21), // bc1t +2, else bgez rd, +2
            };
            LockstepHarness.RunBoth(isa, options, [branch, slot, Break, Break], random.Next(), runs++);
        }

        Assert.True(runs > 100, $"only {runs} slots tried");
    }

    private static bool SlotRestartsAtBranch(GuestIsa isa, ulong[] words) => SlotPlacement(isa, words).Restarts;

    /// <summary>
    /// On every other <paramref name="variant"/>, the MIPS registers these programs use (a1, t0, v0,
    /// t1, a0, v1, ra: as many as there are home registers) resident across blocks.
    /// </summary>
    private static JitOptions WithResidents(JitOptions options, int variant)
    {
        (int, int)[] used = [(0, 5), (0, 8), (0, 2), (0, 9), (0, 4), (0, 3), (0, 31)];
        return variant % 2 == 0 ? options : options with { ResidentRegisters = used[..JitOptions.ResidentRegisterLimit(options.Addressing)] };
    }

    /// <summary>How the block at the start of <paramref name="words"/> emits its delay slot: before its branch, and restarting there.</summary>
    private static (bool SlotFirst, bool Restarts) SlotPlacement(GuestIsa isa, ulong[] words)
    {
        using var memory = new GuestMemory();
        memory.Map(LockstepHarness.Code, GuestMemory.PageSize, MemoryPermissions.Read | MemoryPermissions.Execute);
        LockstepHarness.WriteWords(isa, memory, LockstepHarness.Code, words.Select(w => (uint)w).ToArray());
        using var engine = new JitEngine(isa, memory, new JitOptions { InterpretFirstVisit = false });
        JitBlock block = engine.GetBlock(LockstepHarness.Code)!;
        int slot = block.DelaySlot;
        return (slot > 0 && block.InstructionStarts[slot] < block.InstructionStarts[slot - 1], block.RestartingSlots.Contains(slot));
    }

    /// <summary>
    /// How the block at <paramref name="at"/> emits its computed jump: its delay slot before it, restarting
    /// there, and whether the target is stored to NextPc (a register store to it in the block's code)
    /// rather than taken from its register.
    /// </summary>
    private static (bool SlotFirst, bool Restarts, bool ThroughNextPc) JumpPlacement(GuestIsa isa, ulong[] words, ulong at)
    {
        using var memory = new GuestMemory();
        memory.Map(LockstepHarness.Code, GuestMemory.PageSize, MemoryPermissions.Read | MemoryPermissions.Execute);
        LockstepHarness.WriteWords(isa, memory, LockstepHarness.Code, words.Select(w => (uint)w).ToArray());
        using var engine = new JitEngine(isa, memory, new JitOptions { InterpretFirstVisit = false });
        JitBlock block = engine.GetBlock(at)!;
        int slot = block.DelaySlot;
        byte[] code = new byte[block.CodeSize];
        System.Runtime.InteropServices.Marshal.Copy(block.CodeStart, code, 0, code.Length);
        var decoder = Iced.Intel.Decoder.Create(64, code);
        bool storesNextPc = false;
        while (decoder.IP < (ulong)code.Length)
        {
            Iced.Intel.Instruction i = decoder.Decode();
            storesNextPc |= i.Op0Kind == Iced.Intel.OpKind.Memory && i.Op1Kind == Iced.Intel.OpKind.Register && i.MemoryBase == Iced.Intel.Register.RBX
                && (int)i.MemoryDisplacement32 == isa.StateLayout.NextPcOffset;
        }

        return (slot > 0 && block.InstructionStarts[slot] < block.InstructionStarts[slot - 1], block.RestartingSlots.Contains(slot), storesNextPc);
    }

    /// <summary>Counted loops on RV32 (no delay slot: the branch or jump is the block's last instruction), whole and in small budgets.</summary>
    [Theory]
    [InlineData(10_000)]
    [InlineData(5)]
    [InlineData(2)]
    public void AnRv32LoopMatchesTheInterpreter(int budget)
    {
        GuestIsa isa = IsaCatalog.Find("rv32")!;
        // loop: addi a0, a0, 3; addi t0, t0, -1; bnez t0, loop; ebreak
        ulong[] program = [0x00350513, 0xFFF28293, 0xFE029CE3, 0x00100073];
        // loop: addi a0, a0, 3; addi t0, t0, -1; beqz t0, done; j loop (an unconditional jump: no NextPc); done: ebreak
        ulong[] jumps = [0x00350513, 0xFFF28293, 0x00028463, 0xFF5FF06F, 0x00100073];
        foreach (uint count in new uint[] { 1, 2, 33 })
        {
            LockstepHarness.RunBoth(isa, new JitOptions { InterpretFirstVisit = false }, program, 1, 0, setup: cpu => cpu.SetRegister(0, 5, count), budget: budget);
            LockstepHarness.RunBoth(isa, new JitOptions { InterpretFirstVisit = false }, jumps, 1, 1, setup: cpu => cpu.SetRegister(0, 5, count), budget: budget);
        }
    }

    /// <summary>
    /// RV32's computed jumps (no delay slot: <c>jalr</c> is the block's last instruction) take their
    /// target from its register: calls and returns in a loop, a <c>jalr</c> whose link register is its
    /// base, offsets that make the target odd (bit 0 cleared) or misaligned; whole and in small budgets.
    /// </summary>
    [Theory]
    [InlineData(10_000)]
    [InlineData(5)]
    [InlineData(2)]
    public void Rv32ComputedJumpsMatchTheInterpreter(int budget)
    {
        GuestIsa isa = IsaCatalog.Find("rv32")!;
        const int Ra = 1, T0 = 5, T1 = 6, A0 = 10;
        const uint Ebreak = 0x00100073, A = LockstepHarness.Code, B = A + 0x10, C = A + 0x20;
        static uint Addi(int rd, int rs1, int imm) => ((uint)(imm & 0xFFF) << 20) | ((uint)rs1 << 15) | ((uint)rd << 7) | 0x13;
        static uint Jalr(int rd, int imm, int rs1) => ((uint)(imm & 0xFFF) << 20) | ((uint)rs1 << 15) | ((uint)rd << 7) | 0x67;
        const uint BneT0A = 0xFE029CE3; // at A + 8: bne t0, zero, A
        static uint[] Program(uint jump, uint back) => [Addi(T0, T0, -1), jump, BneT0A, Ebreak, Addi(A0, A0, 3), back, Ebreak, Ebreak, Addi(A0, A0, 7), Ebreak];
        (string Name, uint[] Words, uint[] Bases)[] programs =
        [
            ("jalr ra, 0(t1); ret", Program(Jalr(Ra, 0, T1), Jalr(0, 0, Ra)), [B, C, B + 2]),
            ("jalr t1, 0(t1) (the link overwrites the base after the read); jr t1", Program(Jalr(T1, 0, T1), Jalr(0, 0, T1)), [B]),
            ("jalr ra, 4(t1); ret", Program(Jalr(Ra, 4, T1), Jalr(0, 0, Ra)), [B - 4, B - 3, B - 2]),
        ];
        for (int p = 0; p < programs.Length; p++)
        {
            ulong[] program = programs[p].Words.Select(w => (ulong)w).ToArray();
            Assert.False(JumpPlacement(isa, program, A).ThroughNextPc, $"{programs[p].Name}: the target goes through NextPc");
            foreach (uint b in programs[p].Bases)
            {
                var options = new JitOptions { InterpretFirstVisit = false, Addressing = (MemoryAddressing)((p + (int)b) % 2) };
                options = (b & 4) == 0 ? options : options with { ResidentRegisters = [(0, T1), (0, Ra), (0, T0)] };
                LockstepHarness.RunBoth(isa, options, program, p, p, setup: cpu => { cpu.SetRegister(0, T0, 4); cpu.SetRegister(0, T1, b); }, budget: budget);
            }
        }
    }

    [Theory]
    [MemberData(nameof(DelaySlotIsas))]
    public void ALinkedTakenBranchFollowsItsRewrittenTarget(string isaName, MemoryAddressing addressing)
    {
        LockstepHarness.ALinkedTakenBranchFollowsItsRewrittenTarget(isaName, new JitOptions { Addressing = addressing, InterpretFirstVisit = false });

        // In a superblock (no profile first) the taken branch is a side exit, linked and unlinked the same way.
        LockstepHarness.ALinkedTakenBranchFollowsItsRewrittenTarget(isaName, new JitOptions { Addressing = addressing, InterpretFirstVisit = false, ResidentRegisterCount = 0 });
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
