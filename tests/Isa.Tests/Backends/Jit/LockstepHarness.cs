using System.Text;
using Isa.Backends.Jit;
using Isa.Guests;
using Isa.Runtime.Cpu;
using Isa.Runtime.Memory;

namespace Isa.Tests.Backends.Jit;

/// <summary>
/// The machinery of the lockstep tests, for any JIT options (memory addressing, execution host):
/// random sequences of every instruction run on the JIT and on the interpreter must end in
/// identical states (exit, PC, every register, memory, instructions retired).
/// </summary>
internal static class LockstepHarness
{
    internal const uint Code = 0x0001_0000;
    internal const uint Data = 0x0010_0000;
    internal const uint DataSize = 0x0010_0000;
    private const int Length = 24;

    /// <param name="randomResidents">Every other sequence with guest registers resident in host registers across its blocks (a random set, as many as there are home registers).</param>
    /// <param name="aliased">
    /// Each instruction, where its encoding allows, names one register twice (a destination that is also
    /// a source, a load into its own base): the JIT computes results straight into the destination's
    /// home, so it must read every source before writing it. Random fields rarely do (1 in 32).
    /// </param>
    public static void RandomSequencesMatchTheInterpreter(string isaName, JitOptions options, int salt, int sequences, bool randomResidents = false, bool aliased = false)
    {
        GuestIsa isa = IsaCatalog.Find(isaName)!;
        var random = new Random(isaName.Aggregate(17, (h, c) => (h * 31) + c) ^ salt ^ 0x5eed); // stable across runs
        // Jumps too: a taken one leaves for an address the random operands chose (mostly unmapped, so
        // both engines must fault there the same way, after the same delay slot).
        List<int> candidates = Enumerable.Range(0, isa.Instructions.Count).ToList();
        var covered = new HashSet<int>();
        for (int n = 0; n < sequences; n++)
        {
            ulong[] words = new ulong[Length];
            for (int k = 0; k < Length; k++)
            {
                // Every instruction appears: walk the list, then pick at random.
                int index = covered.Count < candidates.Count ? candidates.First(c => !covered.Contains(c)) : candidates[random.Next(candidates.Count)];
                covered.Add(index);
                words[k] = aliased ? AliasedEncoding(isa, index, random) : RandomEncoding(isa, index, random);
            }

            RunBoth(isa, randomResidents && n % 2 == 1 ? options with { ResidentRegisters = RandomResidents(isa, options.Addressing, random) } : options, words, random.Next(), n);
        }

        Assert.Equal(Math.Min(candidates.Count, sequences * Length), covered.Count);
    }

    /// <summary>
    /// Floating point natively against the interpreter: sequences of the floating-point instructions
    /// and of those that write the registers they use (moves, loads, control-register writes that
    /// change the rounding mode), on registers seeded with NaNs (both kinds), infinities, zeros,
    /// subnormals, extremes, integers and ordinary values, and control registers mostly zero or a
    /// small value (a rounding mode).
    /// </summary>
    public static void FloatingPointSequencesMatchTheInterpreter(string isaName, JitOptions options, int salt, int sequences = 300)
    {
        GuestIsa isa = IsaCatalog.Find(isaName)!;
        var random = new Random(isaName.Aggregate(29, (h, c) => (h * 31) + c) ^ salt ^ 0xf1a7);
        var fp = Enumerable.Range(0, isa.Instructions.Count).Where(i => (isa.Instructions[i].Flags & InstructionFlags.FloatingPoint) != 0).ToList();
        var fpWrites = fp.SelectMany(i => isa.Instructions[i].Writes).ToHashSet();
        List<int> candidates = Enumerable.Range(0, isa.Instructions.Count)
            .Where(i => fp.Contains(i) || (isa.Instructions[i].Writes.Any(fpWrites.Contains) && (isa.Instructions[i].Flags & InstructionFlags.Jump) == 0))
            .ToList();
        var covered = new HashSet<int>();
        // Short sequences: a flag one instruction raised wrongly is not hidden by the next ones.
        for (int n = 0; n < sequences; n++)
        {
            ulong[] words = new ulong[6];
            for (int k = 0; k < words.Length; k++)
            {
                int index = covered.Count < candidates.Count ? candidates.First(c => !covered.Contains(c)) : candidates[random.Next(candidates.Count)];
                covered.Add(index);
                words[k] = RandomEncoding(isa, index, random);
            }

            RunBoth(isa, options, words, random.Next(), n, floats: true);
        }

        Assert.Equal(candidates.Count, covered.Count);
    }

    public static void AStoreIntoTranslatedCodeIsSeenByTheNextRun(string isaName, JitOptions options)
    {
        GuestIsa isa = IsaCatalog.Find(isaName)!;
        using var memory = new GuestMemory();
        memory.Map(Code, GuestMemory.PageSize, MemoryPermissions.Read | MemoryPermissions.Write | MemoryPermissions.Execute);
        uint Li(int reg, int value) => 0x24000000u | ((uint)reg << 16) | (ushort)value; // addiu reg, zero, value
        const uint Break = 0x0000000D;
        const uint StoreT1AtT0 = 0xAD090000; // sw t1, 0(t0)
        WriteWords(isa, memory, Code, [Li(2, 1), Break]);
        WriteWords(isa, memory, Code + 0x100, [StoreT1AtT0, Break]);
        using var engine = new JitEngine(isa, memory, options);
        ICpu cpu = engine.CreateCpu();

        cpu.Pc = Code;
        Assert.Equal(TrapKind.Breakpoint, cpu.Run(100).Kind);
        Assert.Equal(1UL, cpu.GetRegister(0, 2));

        // The guest's own JIT-compiled store rewrites the first instruction.
        cpu.SetRegister(0, 8, Code);
        cpu.SetRegister(0, 9, Li(2, 9));
        cpu.Pc = Code + 0x100;
        Assert.Equal(TrapKind.Breakpoint, cpu.Run(100).Kind);

        cpu.Pc = Code;
        Assert.Equal(TrapKind.Breakpoint, cpu.Run(100).Kind);
        Assert.Equal(9UL, cpu.GetRegister(0, 2));
        Assert.True(engine.Statistics.Invalidations > 0);

        // A write from the host side (a syscall filling a buffer, a loader) invalidates too.
        WriteWords(isa, memory, Code, [Li(2, 5)], viaWrite: true);
        cpu.Pc = Code;
        Assert.Equal(TrapKind.Breakpoint, cpu.Run(100).Kind);
        Assert.Equal(5UL, cpu.GetRegister(0, 2));
    }

    /// <summary>
    /// A loop whose taken branch leaves for a block on the next page: once linked, the branch's jcc goes
    /// straight there; when that page is rewritten the jcc (on a page that stays) is unlinked and the
    /// new code runs.
    /// </summary>
    public static void ALinkedTakenBranchFollowsItsRewrittenTarget(string isaName, JitOptions options)
    {
        GuestIsa isa = IsaCatalog.Find(isaName)!;
        using var memory = new GuestMemory();
        memory.Map(Code, 2 * GuestMemory.PageSize, MemoryPermissions.Read | MemoryPermissions.Write | MemoryPermissions.Execute);
        uint Addiu(int rt, int rs, int value) => 0x24000000u | ((uint)rs << 21) | ((uint)rt << 16) | (ushort)value;
        const uint Nop = 0, Break = 0x0000000D, Target = Code + GuestMemory.PageSize;
        const int V0 = 2, V1 = 3, Iterations = 1000;
        WriteWords(isa, memory, Code, [
            Addiu(V0, 0, Iterations),
            Addiu(V0, V0, -1),              // 0x04: the loop's first block
            0x14400000u | 0x3FD,            // 0x08: bne v0, zero, Target
            Nop,
            Break]);
        WriteWords(isa, memory, Target, [
            Addiu(V1, V1, 1),               // the taken target's block
            0x10000000u | 0xFBFF,           // b 0x04
            Nop]);
        using var engine = new JitEngine(isa, memory, options);
        ICpu cpu = engine.CreateCpu();

        cpu.Pc = Code;
        Assert.Equal(TrapKind.Breakpoint, cpu.Run(100_000).Kind);
        Assert.Equal((ulong)(Iterations - 1), cpu.GetRegister(0, V1));
        Assert.True(engine.Statistics.Exits < Iterations / 10, $"{engine.Statistics.Exits} exits: the loop's jumps were not linked");

        WriteWords(isa, memory, Target, [Addiu(V1, V1, 2)], viaWrite: true);
        cpu.SetRegister(0, V1, 0);
        cpu.Pc = Code;
        Assert.Equal(TrapKind.Breakpoint, cpu.Run(100_000).Kind);
        Assert.Equal((ulong)(2 * (Iterations - 1)), cpu.GetRegister(0, V1));
        Assert.True(engine.Statistics.Invalidations > 0);
    }

    /// <summary>Runs <paramref name="cpu"/> in budgets of <paramref name="budget"/> instructions until something else stops it (at most 1000 runs).</summary>
    public static CpuExit RunInBudgets(ICpu cpu, long budget)
    {
        CpuExit exit;
        int runs = 0;
        do
        {
            exit = cpu.Run(budget);
        }
        while (exit.Kind == TrapKind.BudgetExhausted && ++runs < 1000);

        return exit;
    }

    /// <summary>Registers of any file that can live in a host register, as many as the addressing mode has home registers.</summary>
    internal static (int File, int Index)[] RandomResidents(GuestIsa isa, MemoryAddressing addressing, Random random)
    {
        var eligible = new List<(int File, int Index)>();
        for (int file = 0; file < isa.Registers.Count; file++)
        {
            for (int i = 0; i < isa.Registers[file].Count; i++)
            {
                if (JitOptions.CanBeResident(isa, file, i))
                {
                    eligible.Add((file, i));
                }
            }
        }

        int count = Math.Min(eligible.Count, JitOptions.ResidentRegisterLimit(addressing));
        return [.. eligible.OrderBy(_ => random.Next()).Take(count)];
    }

    /// <summary>
    /// Runs <paramref name="words"/> on the interpreter and on the JIT from the same seeded state; asserts identical final states.
    /// <paramref name="setup"/> sets registers after seeding; with <paramref name="budget"/> both run in budgets of that many
    /// instructions (every exit compared) until something other than the budget stops them, at most 1000 times.
    /// <paramref name="memorySetup"/> changes both memories (mappings, permissions) before the run.
    /// </summary>
    public static void RunBoth(GuestIsa isa, JitOptions options, ulong[] words, int seed, int sequence, bool floats = false, Action<ICpu>? setup = null, int budget = 0, Action<GuestMemory>? memorySetup = null)
    {
        using var interpreterMemory = Prepare(isa, words, seed);
        using var jitMemory = Prepare(isa, words, seed);
        memorySetup?.Invoke(interpreterMemory);
        memorySetup?.Invoke(jitMemory);
        ICpu interpreter = isa.CreateCpu(interpreterMemory);
        // Blocks no longer than the sequence: a block longer than the budget left would be interpreted.
        using var engine = new JitEngine(isa, jitMemory, options with { MaxBlockInstructions = words.Length });
        ICpu jit = engine.CreateCpu();
        SeedRegisters(isa, interpreter, seed, floats);
        SeedRegisters(isa, jit, seed, floats);
        setup?.Invoke(interpreter);
        setup?.Invoke(jit);

        string Context() => $"sequence {sequence} on {isa.Name} ({(options.Hypervisor is null ? options.Addressing : "vCPU")}, {options}):\n{Listing(isa, words)}";
        CpuExit expected, actual;
        int runs = 0;
        do
        {
            expected = interpreter.Run(budget > 0 ? budget : words.Length);
            actual = jit.Run(budget > 0 ? budget : words.Length);
            Assert.True(expected == actual, $"exit {actual} != {expected} (run {runs})\n{Context()}");
        }
        while (budget > 0 && expected.Kind == TrapKind.BudgetExhausted && ++runs < 1000);

        Assert.True(interpreter.Pc == jit.Pc, $"pc 0x{jit.Pc:x} != 0x{interpreter.Pc:x}\n{Context()}");
        // The pending target too: a stop in a delay slot keeps its branch's target (a signal handler resumes there).
        Assert.True(NextPc(isa, interpreter) == NextPc(isa, jit), $"next pc 0x{NextPc(isa, jit):x} != 0x{NextPc(isa, interpreter):x}\n{Context()}");
        Assert.True(interpreter.InstructionsRetired == jit.InstructionsRetired, $"retired {jit.InstructionsRetired} != {interpreter.InstructionsRetired}\n{Context()}");
        var wrong = new StringBuilder();
        for (int file = 0; file < isa.Registers.Count; file++)
        {
            for (int i = 0; i < isa.Registers[file].Count; i++)
            {
                ulong want = interpreter.GetRegister(file, i), got = jit.GetRegister(file, i);
                if (want != got)
                {
                    wrong.Append($"{isa.Registers[file].Name}[{i}] = 0x{got:x} != 0x{want:x}; ");
                }
            }
        }

        Assert.True(wrong.Length == 0, $"{wrong}\n{Context()}");

        byte[] a = new byte[DataSize], b = new byte[DataSize];
        interpreterMemory.Peek(Data, a);
        jitMemory.Peek(Data, b);
        Assert.True(a.AsSpan().SequenceEqual(b), $"data memory differs\n{Context()}");
    }

    private static ulong NextPc(GuestIsa isa, ICpu cpu)
    {
        nint at = cpu.StateAddress + isa.StateLayout.NextPcOffset;
        return isa.StateLayout.PcBytes == 8 ? (ulong)System.Runtime.InteropServices.Marshal.ReadInt64(at) : (uint)System.Runtime.InteropServices.Marshal.ReadInt32(at);
    }

    private static GuestMemory Prepare(GuestIsa isa, ulong[] words, int seed)
    {
        var memory = new GuestMemory();
        memory.Map(Code, GuestMemory.PageSize, MemoryPermissions.Read | MemoryPermissions.Execute);
        memory.Map(Data, DataSize, MemoryPermissions.Read | MemoryPermissions.Write);
        var bytes = new byte[DataSize];
        new Random(seed).NextBytes(bytes);
        memory.Write(Data, bytes);
        WriteWords(isa, memory, Code, words.Select(w => (uint)w).ToArray());
        return memory;
    }

    internal static void WriteWords(GuestIsa isa, GuestMemory memory, uint address, uint[] words, bool viaWrite = false)
    {
        var bytes = new byte[words.Length * 4];
        for (int i = 0; i < words.Length; i++)
        {
            uint w = isa.Endianness == Endianness.Big ? System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(words[i]) : words[i];
            BitConverter.GetBytes(w).CopyTo(bytes, i * 4);
        }

        if (viaWrite)
        {
            memory.Write(address, bytes);
        }
        else
        {
            memory.Poke(address, bytes);
        }
    }

    /// <summary>Registers: half point into the data region (so loads and stores mostly succeed), half are anything.</summary>
    private static void SeedRegisters(GuestIsa isa, ICpu cpu, int seed, bool floats = false)
    {
        var random = new Random(seed ^ 0x1234);
        for (int file = 0; file < isa.Registers.Count; file++)
        {
            RegisterFileInfo info = isa.Registers[file];
            ulong? high = null;
            for (int i = 0; i < info.Count; i++)
            {
                ulong value = random.Next(2) == 0
                    ? Data + 0x8000 + (ulong)random.Next((int)DataSize - 0x10000)
                    : (ulong)random.NextInt64();
                if (floats && info.Count == 1)
                {
                    // A control register: mostly zero (nearest, nothing enabled) or a rounding mode.
                    value = random.Next(4) switch { 0 or 1 => 0, 2 => (ulong)random.Next(4), _ => value };
                }
                else if (floats && info.Bits > 32 && random.Next(4) != 0)
                {
                    value = DoubleValues[random.Next(DoubleValues.Length)];
                }
                else if (floats && i % 2 == 1 && high is { } h)
                {
                    value = h; // the high word of the double started in the even register
                }
                else if (floats && random.Next(4) != 0)
                {
                    // A single, or a double in an even/odd pair (low word first).
                    ulong pattern = random.Next(2) == 0 ? SingleValues[random.Next(SingleValues.Length)] : DoubleValues[random.Next(DoubleValues.Length)];
                    value = pattern & 0xFFFF_FFFF;
                    high = i % 2 == 0 && pattern > 0xFFFF_FFFF ? pattern >> 32 : null;
                }

                if (i % 2 == 1)
                {
                    high = null;
                }

                cpu.SetRegister(file, i, value);
            }
        }

        cpu.Pc = Code;
    }

    /// <summary>Interesting binary32 patterns: zeros, subnormals, the smallest normal, extremes, infinities, NaNs of both kinds (and both MIPS conventions), integers, halves.</summary>
    private static readonly ulong[] SingleValues =
    [
        0x00000000, 0x80000000, 0x00000001, 0x807fffff, 0x00800000, 0x80800000, 0x7f7fffff, 0xff7fffff,
        0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7fbfffff, 0x7f812345, 0x3f800000, 0xbfc00000,
        0x40400000, 0x3dcccccd, 0x3eaaaaab, 0x4f000000, 0xcf000000, 0x4effffff, 0x5f000000, 0x3f000000,
        0x3fc00000, 0x40200000, 0x0c800000, 0x1, 0x2, 0x3,
    ];

    /// <summary>Interesting binary64 patterns, as for <see cref="SingleValues"/>.</summary>
    private static readonly ulong[] DoubleValues =
    [
        0x0000000000000000, 0x8000000000000000, 0x0000000000000001, 0x800fffffffffffff, 0x0010000000000000,
        0x7fefffffffffffff, 0xffefffffffffffff, 0x7ff0000000000000, 0xfff0000000000000, 0x7ff8000000000000,
        0x7ff7ffffffffffff, 0x7ff0000000012345, 0x3ff0000000000000, 0xbff8000000000000, 0x4008000000000000,
        0x3fb999999999999a, 0x3fd5555555555555, 0x41e0000000000000, 0xc1e0000000000000, 0x41dfffffffc00000,
        0x43e0000000000000, 0x3fe0000000000000, 0x4004000000000000, 0x0360000000000000, 0x47efffffe0000000,
        0x3810000000000000, 0x0000000000000002,
    ];

    internal static ulong RandomEncoding(GuestIsa isa, int index, Random random)
    {
        InstructionInfo info = isa.Instructions[index];
        for (int attempt = 0; attempt < 1000; attempt++)
        {
            ulong word = ((ulong)(uint)random.Next() << 1 ^ (ulong)random.Next()) & 0xFFFFFFFF;
            word = (word & ~info.Mask) | info.Match;
            if (isa.Decode(word) == index)
            {
                return word;
            }
        }

        return info.Match;
    }

    /// <summary>A random encoding of the instruction whose disassembly names an operand register twice, if one of a few dozen tries does.</summary>
    private static ulong AliasedEncoding(GuestIsa isa, int index, Random random)
    {
        ulong word = RandomEncoding(isa, index, random);
        for (int attempt = 0; attempt < 64 && !NamesARegisterTwice(isa.Disassemble(word, Code) ?? ""); attempt++)
        {
            word = RandomEncoding(isa, index, random);
        }

        return word;
    }

    /// <summary>True if two operands of <c>mnemonic a, b, c</c> (a base register in <c>8(b)</c> counting) are the same name, numbers aside.</summary>
    private static bool NamesARegisterTwice(string disassembly)
    {
        int space = disassembly.IndexOfAny([' ', '\t']);
        if (space < 0)
        {
            return false;
        }

        var names = new HashSet<string>();
        foreach (string operand in disassembly[(space + 1)..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int open = operand.IndexOf('(');
            string name = open >= 0 ? operand[(open + 1)..].TrimEnd(')') : operand;
            if (name.Length > 0 && !char.IsAsciiDigit(name[0]) && name[0] != '-' && !names.Add(name))
            {
                return true;
            }
        }

        return false;
    }

    private static string Listing(GuestIsa isa, ulong[] words)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < words.Length; i++)
        {
            ulong pc = Code + (ulong)(i * 4);
            sb.AppendLine($"  {pc:x8}: {words[i]:x8}  {isa.Disassemble(words[i], pc)}");
        }

        return sb.ToString();
    }
}
