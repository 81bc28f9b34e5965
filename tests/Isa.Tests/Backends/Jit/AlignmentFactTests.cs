using Iced.Intel;
using Isa.Backends.Jit;
using Isa.Guests;
using Isa.Runtime.Cpu;
using Isa.Runtime.Memory;

namespace Isa.Tests.Backends.Jit;

/// <summary>
/// Alignment checks the block has already proven are not emitted again: once a checked access sent a
/// register's misaligned case to a trap, later tests of the same unchanged register fold. These run
/// accesses off a few base registers (aligned and misaligned, near unmapped and read-only pages), with
/// writes to them in between, under conditions and in delay slots, on the JIT and on the interpreter:
/// every trap and fault must stop at the same guest PC with the same registers and memory.
/// </summary>
public sealed class AlignmentFactTests
{
    private const int V0 = 2, A0 = 4, A1 = 5, A2 = 6, A3 = 7, T0 = 8, T1 = 9, T2 = 10, T3 = 11, T6 = 14, T7 = 15;
    private const uint Break = 0x0000000D;
    private const uint ReadOnly = LockstepHarness.Data + LockstepHarness.DataSize, Unmapped = ReadOnly + GuestMemory.PageSize;

    public static TheoryData<string, MemoryAddressing> Cases()
    {
        var data = new TheoryData<string, MemoryAddressing>();
        foreach (string isa in new[] { "mips32el", "mips32", "allegrex" })
        {
            data.Add(isa, MemoryAddressing.GsSegment);
            data.Add(isa, MemoryAddressing.BaseRegister);
        }

        return data;
    }

    private static uint I(uint op, int rs, int rt, int imm) => (op << 26) | ((uint)rs << 21) | ((uint)rt << 16) | (ushort)imm;

    private static uint R(int rs, int rt, int rd, int sa, uint funct) => ((uint)rs << 21) | ((uint)rt << 16) | ((uint)rd << 11) | ((uint)sa << 6) | funct;

    private static uint Lw(int rt, int offset, int rs) => I(0x23, rs, rt, offset);

    private static uint Sw(int rt, int offset, int rs) => I(0x2B, rs, rt, offset);

    private static uint Lh(int rt, int offset, int rs) => I(0x21, rs, rt, offset);

    private static uint Lhu(int rt, int offset, int rs) => I(0x25, rs, rt, offset);

    private static uint Sh(int rt, int offset, int rs) => I(0x29, rs, rt, offset);

    private static uint Lwc1(int ft, int offset, int rs) => I(0x31, rs, ft, offset);

    private static uint Ldc1(int ft, int offset, int rs) => I(0x35, rs, ft, offset);

    private static uint Addiu(int rt, int rs, int imm) => I(0x09, rs, rt, imm);

    private static uint Addu(int rd, int rs, int rt) => R(rs, rt, rd, 0, 0x21);

    private static uint And(int rd, int rs, int rt) => R(rs, rt, rd, 0, 0x24);

    private static uint Move(int rd, int rs) => R(rs, 0, rd, 0, 0x25);

    private static uint Movz(int rd, int rs, int rt) => R(rs, rt, rd, 0, 0x0A);

    /// <summary>
    /// The block's checked accesses (<c>test r, imm</c> in its x64) as translated: the first access off a
    /// register tests it, later ones off the same unchanged register do not; a write that keeps the residue
    /// keeps the fact, a write under a condition or from an unknown register forgets it.
    /// </summary>
    [Theory]
    [InlineData("mips32el")]
    [InlineData("mips32")]
    [InlineData("allegrex")]
    public void AccessesOffARegisterTheBlockTestedAreNotTestedAgain(string isaName)
    {
        GuestIsa isa = IsaCatalog.Find(isaName)!;
        (string Name, uint[] Words, int Tests)[] blocks =
        [
            ("one register, five accesses", [Lw(T1, 0, A0), Lw(T2, 4, A0), Sw(T1, 8, A0), Lh(T3, 2, A0), Lhu(T3, -2, A0), Lwc1(0, 12, A0), Break], 1),
            ("moved by 4 and -8", [Lw(T1, 0, A0), Addiu(A0, A0, 4), Lw(T2, 0, A0), Addiu(A0, A0, -8), Sw(T2, 4, A0), Break], 1),
            ("moved by 2: a halfword is still aligned", [Lw(T1, 0, A0), Addiu(A0, A0, 2), Lh(T2, 0, A0), Sh(T2, 4, A0), Break], 1),
            ("a copy", [Lw(T1, 0, A0), Move(A1, A0), Lw(T2, 4, A1), Addiu(A2, A1, 8), Sw(T2, 0, A2), Break], 1),
            ("a displacement with low bits (the address computed)", [Lw(T1, 2, A0), Lw(T2, 6, A0), Lh(T3, 0, A0), Break], 1),
            ("aligned by an and: nothing to test", [Addiu(T7, 0, -4), And(A0, A0, T7), Lw(T1, 0, A0), Sw(T1, 4, A0), Break], 0),
            ("moved by an unknown register", [Lw(T1, 0, A0), Addu(A0, A0, T6), Lw(T2, 0, A0), Lw(T3, 4, A0), Break], 2),
            ("written under a condition", [Lw(T1, 0, A0), Movz(A0, A1, T0), Lw(T2, 0, A0), Break], 2),
            ("copied under a condition", [Lw(T1, 0, A1), Movz(A0, A1, T0), Lw(T2, 0, A0), Lw(T3, 4, A1), Break], 2),
        ];
        if (isa.Decode(Ldc1(0, 8, A0)) >= 0)
        {
            blocks = [.. blocks, ("a doubleword needs a bit more", [Lw(T1, 0, A0), Ldc1(0, 8, A0), Ldc1(2, 16, A0), Lw(T2, 4, A0), Break], 2)];
        }

        foreach ((string name, uint[] words, int tests) in blocks)
        {
            foreach (uint a0 in new uint[] { LockstepHarness.Data + 0x100, LockstepHarness.Data + 0x102, LockstepHarness.Data + 0x103 })
            {
                LockstepHarness.RunBoth(isa, new JitOptions { InterpretFirstVisit = false }, [.. words.Select(w => (ulong)w)], (int)a0, 0, setup: cpu =>
                {
                    cpu.SetRegister(0, A0, a0);
                    cpu.SetRegister(0, A1, a0 + 0x41);
                    cpu.SetRegister(0, T0, a0 & 1);
                    cpu.SetRegister(0, T6, a0 & 3);
                });
            }

            Assert.True(tests == CheckedAccesses(isa, words), $"{name}: {CheckedAccesses(isa, words)} tests of a register's low bits, not {tests}");
        }
    }

    /// <summary>
    /// Loops that learn a register's alignment and then move it: a loop back re-enters with nothing
    /// proven (the second iteration's misaligned pointer must trap), accesses in the delay slot, a
    /// likely branch whose slot is skipped, a fault on the second access off a register already tested
    /// (an unmapped page, a read-only page): whole and in small budgets, with and without resident registers.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void LoopsAndFaultsAfterATestedAccessMatchTheInterpreter(string isaName, MemoryAddressing addressing)
    {
        GuestIsa isa = IsaCatalog.Find(isaName)!;
        uint[][] programs =
        [
            // loop: lw t1, 0(a0); addiu a0, a0, 2; bne a0, a1, loop; lw t2, -2(a0) (slot); break
            [Lw(T1, 0, A0), Addiu(A0, A0, 2), I(0x05, A0, A1, -3), Lw(T2, -2, A0), Break],
            // loop: lw t1, 0(a0); addiu a0, a0, 4; bne a0, a1, loop; sw t1, -4(a0) (slot); break
            [Lw(T1, 0, A0), Addiu(A0, A0, 4), I(0x05, A0, A1, -3), Sw(T1, -4, A0), Break],
            // loop: lw t1, 0(a0); addu a0, a0, t6; bnel a0, a1, loop; lw t2, 0(a0) (slot only when taken); lw t3, 4(a0); break
            [Lw(T1, 0, A0), Addu(A0, A0, T6), I(0x15, A0, A1, -3), Lw(T2, 0, A0), Lw(T3, 4, A0), Break],
            // lw t1, 0(a0); lw t2, 0x100(a0) (faults past the page: the first access passed); sw t1, 0x104(a0); break
            [Lw(T1, 0, A0), Lw(T2, 0x100, A0), Sw(T1, 0x104, A0), Break],
            // lw t1, 0(a0); sw t1, 0x100(a0) (faults on the read-only page); addiu v0, v0, 1; break
            [Lw(T1, 0, A0), Sw(T1, 0x100, A0), Addiu(V0, V0, 1), Break],
            // beq t0, zero, +3; lw t1, 0(a0) (slot); lh t2, 2(a0); sw t2, 6(a0); break
            [I(0x04, T0, 0, 3), Lw(T1, 0, A0), Lh(T2, 2, A0), Sw(T2, 6, A0), Break, Break],
            // lw t1, 0(a0); movz a0, a1, t0; beq t0, zero, +2; lw t2, 4(a0) (slot, a0 maybe a1); break; break
            [Lw(T1, 0, A0), Movz(A0, A1, T0), I(0x04, T0, 0, 2), Lw(T2, 4, A0), Break, Break],
        ];

        // (a0, a1, t0, t6): the pointer, the loop's end or another pointer, a condition, a step.
        (uint A0, uint A1, uint T0, uint T6)[] setups =
        [
            (LockstepHarness.Data + 0x100, LockstepHarness.Data + 0x110, 0, 4),
            (LockstepHarness.Data + 0x100, LockstepHarness.Data + 0x108, 1, 2),
            (LockstepHarness.Data + 0x101, LockstepHarness.Data + 0x109, 0, 4),
            (LockstepHarness.Data + 0x102, LockstepHarness.Data + 0x10E, 1, 6),
            (ReadOnly - 0x100, LockstepHarness.Data + 0x103, 0, 4),
            (Unmapped - 0x100, ReadOnly - 0x10, 1, 1),
        ];
        void Memory(GuestMemory memory) => memory.Map(ReadOnly, GuestMemory.PageSize, MemoryPermissions.Read);
        int run = 0;
        for (int p = 0; p < programs.Length; p++)
        {
            ulong[] words = [.. programs[p].Select(w => (ulong)w)];
            foreach ((uint a0, uint a1, uint t0, uint t6) in setups)
            {
                foreach (int budget in new[] { 0, 3 })
                {
                    var options = new JitOptions { Addressing = addressing, InterpretFirstVisit = false };
                    options = run++ % 2 == 0 ? options : options with { ResidentRegisters = [(0, A0), (0, A1), (0, T1)] };
                    LockstepHarness.RunBoth(isa, options, words, run, p, budget: budget, memorySetup: Memory, setup: cpu =>
                    {
                        cpu.SetRegister(0, A0, a0);
                        cpu.SetRegister(0, A1, a1);
                        cpu.SetRegister(0, T0, t0);
                        cpu.SetRegister(0, T6, t6);
                    });
                }
            }
        }
    }

    /// <summary>
    /// Random blocks of accesses of every width (word, halfword, byte, FPU word and doubleword, ll/sc)
    /// off four base registers seeded aligned or misaligned (one near the end of the data, so offsets
    /// fault), with writes to the bases in between (addiu by 4, 2, 1, -4, addu by a register, copies, an
    /// and with -4, a shift, movz/movn) and forward branches whose delay slots hold accesses, likely
    /// ones included; against the interpreter, whole and in small budgets.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void RandomAccessesOffFewRegistersMatchTheInterpreter(string isaName, MemoryAddressing addressing)
    {
        GuestIsa isa = IsaCatalog.Find(isaName)!;
        var random = new Random(isaName.Aggregate(53, (h, c) => (h * 31) + c) ^ (int)addressing);
        int[] bases = [A0, A1, A2, A3];
        int Base() => bases[random.Next(bases.Length)];
        int Data() => T1 + random.Next(5); // t1..t5
        int Offset() => random.Next(4) switch
        {
            0 or 1 => 4 * random.Next(-4, 8),
            2 => 2 * random.Next(-4, 8),
            _ => random.Next(-8, 16),
        };
        uint Access()
        {
            uint[] ops = [0x23, 0x2B, 0x21, 0x25, 0x29, 0x20, 0x28, 0x31, 0x39, 0x35, 0x3D, 0x30, 0x38];
            while (true)
            {
                uint op = ops[random.Next(ops.Length)];
                int rt = op is 0x31 or 0x39 or 0x35 or 0x3D ? 2 * random.Next(8) : Data();
                uint word = I(op, Base(), rt, Offset());
                if (isa.Decode(word) >= 0)
                {
                    return word;
                }
            }
        }

        uint Write() => random.Next(9) switch
        {
            0 or 1 => Addiu(Base(), Base(), new[] { 4, 2, 1, -4, 8, 3 }[random.Next(6)]),
            2 => Addu(Base(), Base(), T6),
            3 => Move(Base(), Base()),
            4 => And(Base(), Base(), T7),
            5 => R(0, Base(), Base(), 2, 0x00), // sll b, b', 2
            6 => Movz(Base(), Base(), T0),
            7 => R(Base(), T0, Base(), 0, 0x0B), // movn
            _ => Addu(Base(), Base(), Base()),
        };

        const int Length = 16;
        var options = new JitOptions { Addressing = addressing, InterpretFirstVisit = false };
        for (int n = 0; n < 100; n++)
        {
            var words = new ulong[Length + 2];
            for (int k = 0; k < Length; k++)
            {
                int kind = random.Next(10);
                if (kind < 2 && k < Length - 2)
                {
                    // A forward branch (beq, bne, beql, bnel on t0) and an access in its slot.
                    uint op = new uint[] { 0x04, 0x05, 0x14, 0x15 }[random.Next(4)];
                    words[k] = I(op, T0, 0, random.Next(2, Length + 1 - k));
                    words[++k] = Access();
                }
                else
                {
                    words[k] = kind < 7 ? Access() : Write();
                }
            }

            words[Length] = Break;
            words[Length + 1] = Break;
            uint[] misalign = [.. bases.Select(_ => random.Next(3) == 0 ? (uint)random.Next(1, 8) : 0)];
            uint t0 = (uint)random.Next(2), t6 = new uint[] { 0, 1, 2, 4, 8 }[random.Next(5)];
            LockstepHarness.RunBoth(isa, options, words, random.Next(), n, budget: random.Next(3) == 0 ? 5 : 0, memorySetup: m => m.Map(ReadOnly, GuestMemory.PageSize, MemoryPermissions.Read), setup: cpu =>
            {
                for (int b = 0; b < bases.Length; b++)
                {
                    uint start = b == 3 ? ReadOnly - 0x10 : LockstepHarness.Data + 0x1000 + (uint)(b * 0x400);
                    cpu.SetRegister(0, bases[b], start + misalign[b]);
                }

                cpu.SetRegister(0, T0, t0);
                cpu.SetRegister(0, T6, t6);
                cpu.SetRegister(0, T7, 0xFFFF_FFFC);
            });
        }
    }

    /// <summary>How many tests of a register against an immediate (the alignment checks) the block at the start of <paramref name="words"/> has.</summary>
    private static int CheckedAccesses(GuestIsa isa, uint[] words)
    {
        using var memory = new GuestMemory();
        memory.Map(LockstepHarness.Code, GuestMemory.PageSize, MemoryPermissions.Read | MemoryPermissions.Execute);
        LockstepHarness.WriteWords(isa, memory, LockstepHarness.Code, words);
        using var engine = new JitEngine(isa, memory, new JitOptions { InterpretFirstVisit = false });
        JitBlock block = engine.GetBlock(LockstepHarness.Code)!;
        byte[] code = new byte[block.CodeSize];
        System.Runtime.InteropServices.Marshal.Copy(block.CodeStart, code, 0, code.Length);
        var decoder = Decoder.Create(64, code);
        int tests = 0;
        while (decoder.IP < (ulong)code.Length)
        {
            Instruction i = decoder.Decode();
            tests += i.Mnemonic == Mnemonic.Test && i.Op1Kind is OpKind.Immediate32 or OpKind.Immediate8 ? 1 : 0;
        }

        return tests;
    }
}
