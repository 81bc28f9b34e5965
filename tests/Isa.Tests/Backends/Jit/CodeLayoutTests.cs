using Iced.Intel;
using Isa.Backends.Jit;
using static Iced.Intel.AssemblerRegisters;

namespace Isa.Tests.Backends.Jit;

/// <summary>
/// The JIT's own layout (<see cref="CodeLayout"/>) against Iced's block encoder on random blocks with
/// forward and backward label branches (some too far for a short one), RIP-relative label operands,
/// data bytes and branches to far absolute addresses: decoded, both give the same instructions, every
/// branch and RIP-relative operand reaching the same instruction (or the same absolute address), and
/// the labels at the same instructions. The bytes may differ only in branch sizes: the block encoder
/// starts from near branches and shrinks them, the layout starts short and grows them, so its code is
/// never longer.
/// </summary>
public sealed class CodeLayoutTests
{
    private const ulong Rip = 0x7f12_3456_0000;
    private const ulong FarTarget = Rip + 0x1000_0000; // the runtime stubs: far enough that the block encoder picks near too

    [Fact]
    public void RandomBlocksDecodeAsIcedsBlockEncoderOutputDoes()
    {
        var random = new Random(4242);
        var layout = new CodeLayout();
        for (int n = 0; n < 300; n++)
        {
            var a = new Assembler(64);
            List<Label> labels = RandomBlock(a, random);
            ulong rip = Rip + (ulong)(random.Next(1 << 20) * 16);
            var stream = new MemoryStream();
            AssemblerResult result = a.Assemble(new StreamCodeWriter(stream), rip, BlockEncoderOptions.ReturnNewInstructionOffsets);
            byte[] expectedBytes = stream.ToArray();

            Assert.True(layout.TryEncode(a.Instructions, rip), $"block {n} was declined");
            byte[] actualBytes = layout.Code.ToArray();
            List<Instruction> expected = Decode(expectedBytes, rip), actual = Decode(actualBytes, rip);
            Assert.Equal(expected.Count, actual.Count);
            Assert.True(actualBytes.Length <= expectedBytes.Length);
            Dictionary<ulong, int> expectedIndex = IndexByAddress(expected), actualIndex = IndexByAddress(actual);
            string Where(ulong target, Dictionary<ulong, int> index) => index.TryGetValue(target, out int i) ? $"instruction {i}" : $"0x{target:x}";
            for (int i = 0; i < expected.Count; i++)
            {
                Instruction e = expected[i], x = actual[i];
                Assert.Equal(e.Mnemonic, x.Mnemonic);
                if (e.OpCount > 0 && e.Op0Kind == OpKind.NearBranch64)
                {
                    Assert.Equal(Where(e.NearBranch64, expectedIndex), Where(x.NearBranch64, actualIndex));
                }
                else if (e.IsIPRelativeMemoryOperand)
                {
                    Assert.Equal(Where(e.IPRelativeMemoryAddress, expectedIndex), Where(x.IPRelativeMemoryAddress, actualIndex));
                    Assert.Equal(e.Code, x.Code);
                }
                else
                {
                    Assert.Equal(expectedBytes.AsSpan((int)(e.IP - rip), e.Length).ToArray(), actualBytes.AsSpan((int)(x.IP - rip), x.Length).ToArray());
                }
            }

            foreach (Label label in labels)
            {
                Assert.Equal(Where(result.GetLabelRIP(label), expectedIndex), Where((ulong)layout.LabelAddress(label, rip), actualIndex));
            }
        }
    }

    [Fact]
    public void ABranchWithNoNearFormIsDeclined()
    {
        var a = new Assembler(64);
        Label top = a.CreateLabel();
        a.Label(ref top);
        a.dec(ecx);
        a.loop(top);

        Assert.False(new CodeLayout().TryEncode(a.Instructions, Rip));
    }

    [Fact]
    public void AnAbsoluteTargetOutOfReachIsDeclined()
    {
        var a = new Assembler(64);
        a.jmp(Rip + 0x1_0000_0000);

        Assert.False(new CodeLayout().TryEncode(a.Instructions, Rip));
    }

    /// <summary>
    /// The forms <see cref="CommonEncodings"/> writes itself give Iced's bytes: every register, every
    /// base register, displacements and immediates at each size boundary, built as the emitter builds
    /// them (the assembler) and from memory operands of every displacement size.
    /// </summary>
    [Fact]
    public void CommonFormsEncodeAsIcedDoes()
    {
        AssemblerRegister32[] r32 = [eax, ecx, edx, ebx, esp, ebp, esi, edi, r8d, r9d, r10d, r11d, r12d, r13d, r14d, r15d];
        AssemblerRegister64[] r64 = [rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15];
        int[] displacements = [0, 1, -1, 127, 128, -128, -129, 0x118, -0x1E0, int.MaxValue, int.MinValue];
        int[] immediates = [0, 1, -1, 127, 128, -128, -129, 0x12345678, int.MinValue];
        var a = new Assembler(64);
        for (int i = 0; i < 16; i++)
        {
            foreach (int d in displacements)
            {
                a.mov(__dword_ptr[r64[i] + d], r32[(i + 5) % 16]);
                a.mov(r32[(i + 3) % 16], __dword_ptr[r64[i] + d]);
                a.mov(__qword_ptr[r64[i] + d], r64[(i + 7) % 16]);
                a.mov(r64[(i + 9) % 16], __qword_ptr[r64[i] + d]);
                a.mov(__dword_ptr[r64[i] + d], d);
                a.test(__dword_ptr[r64[i] + d], d);
                a.cmp(__dword_ptr[r64[i] + d], d);
                a.add(__dword_ptr[r64[i] + d], 1);
            }

            for (int j = 0; j < 16; j++)
            {
                a.mov(r32[i], r32[j]);
                a.mov(r64[i], r64[j]);
            }

            foreach (int imm in immediates)
            {
                a.mov(r32[i], imm);
                a.add(r32[i], imm);
                a.sub(r32[i], imm);
                a.and(r32[i], imm);
                a.or(r32[i], imm);
                a.xor(r32[i], imm);
                a.cmp(r32[i], imm);
                a.test(r32[i], imm);
                a.sub(r64[i], imm);
                a.add(r64[i], imm);
            }
        }

        var instructions = new List<Instruction>(a.Instructions);
        foreach (int size in new[] { 0, 1, 4, 8 })
        {
            foreach (int d in displacements)
            {
                instructions.Add(Instruction.Create(Code.Mov_rm32_r32, new MemoryOperand(Register.RBX, d, size), Register.EBP));
                instructions.Add(Instruction.Create(Code.Mov_r32_rm32, Register.R12D, new MemoryOperand(Register.RSI, d, size)));
            }
        }

        var writer = new CodeBytes();
        Encoder encoder = Encoder.Create(64, writer);
        Span<byte> common = stackalloc byte[16];
        int handled = 0;
        foreach (Instruction instruction in instructions)
        {
            writer.Bytes.Clear();
            bool encoded = encoder.TryEncode(instruction, Rip, out _, out _);
            if (CommonEncodings.TryEncode(instruction, common, out int length))
            {
                handled++;
                Assert.True(encoded, $"{instruction} (displ size {instruction.MemoryDisplSize}): Iced refuses it");
                Assert.True(writer.Bytes.ToArray().AsSpan().SequenceEqual(common[..length]),
                    $"{instruction} (displ size {instruction.MemoryDisplSize}): Iced {Convert.ToHexString(writer.Bytes.ToArray())}, common {Convert.ToHexString(common[..length])}");
            }
        }

        // Every register form and every [base + disp] without a SIB byte or forced displacement is handled.
        Assert.True(handled > instructions.Count * 3 / 4, $"{handled} of {instructions.Count} handled");
    }

    /// <summary>Every conditional jump, <c>jmp</c> and <c>call</c>, short and near, forwards and backwards, as Iced encodes them.</summary>
    [Fact]
    public void BranchesEncodeAsIcedDoes()
    {
        var assembler = new Assembler(64);
        Label label = assembler.CreateLabel();
        assembler.Label(ref label);
        assembler.jo(label);
        assembler.jno(label);
        assembler.jb(label);
        assembler.jae(label);
        assembler.je(label);
        assembler.jne(label);
        assembler.jbe(label);
        assembler.ja(label);
        assembler.js(label);
        assembler.jns(label);
        assembler.jp(label);
        assembler.jnp(label);
        assembler.jl(label);
        assembler.jge(label);
        assembler.jle(label);
        assembler.jg(label);
        assembler.jmp(label);
        assembler.call(label);

        var writer = new CodeBytes();
        Encoder encoder = Encoder.Create(64, writer);
        Span<byte> common = stackalloc byte[16];
        int handled = 0;
        foreach (Instruction original in assembler.Instructions)
        {
            foreach (Code code in new[] { original.Code.ToShortBranch(), original.Code.ToNearBranch() })
            {
                foreach (long distance in new long[] { 0, 2, 127, 128, -126, -127, -128, -129, 100_000, -100_000, int.MaxValue, (long)int.MinValue - 100 })
                {
                    Instruction instruction = original;
                    instruction.Code = code;
                    instruction.NearBranch64 = (ulong)((long)Rip + distance);
                    writer.Bytes.Clear();
                    bool encoded = encoder.TryEncode(instruction, Rip, out _, out _);
                    if (CommonEncodings.TryEncodeBranch(instruction, Rip, instruction.NearBranch64, common, out int length))
                    {
                        handled++;
                        Assert.True(encoded, $"{instruction} ({code}): Iced refuses it");
                        Assert.True(writer.Bytes.ToArray().AsSpan().SequenceEqual(common[..length]),
                            $"{instruction} ({code}): Iced {Convert.ToHexString(writer.Bytes.ToArray())}, common {Convert.ToHexString(common[..length])}");
                    }
                    else
                    {
                        Assert.False(encoded, $"{instruction} ({code}) declined, Iced encodes it");
                    }
                }
            }
        }

        // Every form within reach: 16 jcc and jmp short for 6 of the distances, near for 10, call for 10 twice.
        Assert.True(handled >= 290, $"{handled} handled");
    }

    private sealed class CodeBytes : CodeWriter
    {
        public List<byte> Bytes { get; } = [];

        public override void WriteByte(byte value) => Bytes.Add(value);
    }

    private static List<Instruction> Decode(byte[] code, ulong rip)
    {
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(code), rip);
        var list = new List<Instruction>();
        while (decoder.IP < rip + (ulong)code.Length)
        {
            decoder.Decode(out Instruction instruction);
            Assert.NotEqual(Code.INVALID, instruction.Code);
            list.Add(instruction);
        }

        return list;
    }

    private static Dictionary<ulong, int> IndexByAddress(List<Instruction> instructions)
    {
        var index = new Dictionary<ulong, int>();
        for (int i = 0; i < instructions.Count; i++)
        {
            index[instructions[i].IP] = i;
        }

        return index;
    }

    /// <summary>A block as the translator makes them: straight code, label branches both ways, exits to far stubs.</summary>
    /// <summary>
    /// <c>shl r, k; add r, s</c> becomes <c>lea r, [s + r*2^k]</c> where the flags die before anything
    /// reads them; kept as it is where they may be read, control may leave first, or a label is on the add.
    /// </summary>
    [Theory]
    [InlineData("test", true)]
    [InlineData("jo", false)]      // the add's overflow is read
    [InlineData("jmp", false)]     // flags live at a target the layout cannot see into
    [InlineData("label", false)]   // something may jump to the add
    [InlineData("same", false)]    // add r, r: not a scaled index
    [InlineData("shift4", false)]  // no scale of 16
    public void AShiftThenAddBecomesOneLeaWhereTheFlagsAreDead(string shape, bool fuses)
    {
        var a = new Assembler(64);
        Label onAdd = a.CreateLabel(), end = a.CreateLabel();
        a.shl(ebp, (byte)(shape == "shift4" ? 4 : 2));
        if (shape == "label")
        {
            a.Label(ref onAdd);
        }

        a.add(ebp, shape == "same" ? ebp : r14d);
        switch (shape)
        {
            case "jo":
                a.jo(end);
                break;
            case "jmp":
                a.jmp(FarTarget);
                break;
        }

        a.test(ebp, 3);
        a.Label(ref end);
        a.mov(eax, ebp);
        if (shape == "label")
        {
            a.jmp(onAdd);
        }

        var layout = new CodeLayout();
        Assert.True(layout.TryEncode(a.Instructions, Rip));
        List<Instruction> code = Decode(layout.Code.ToArray(), Rip);
        if (fuses)
        {
            Assert.Equal(Code.Lea_r32_m, code[0].Code);
            Assert.Equal(Register.EBP, code[0].Op0Register);
            Assert.Equal((Register.R14, Register.RBP, 4), (code[0].MemoryBase, code[0].MemoryIndex, code[0].MemoryIndexScale));
            Assert.Equal(Code.Test_rm32_imm32, code[1].Code);
        }
        else
        {
            Assert.Equal(a.Instructions.Select(i => i.Mnemonic), code.Select(i => i.Mnemonic));
        }
    }

    private static List<Label> RandomBlock(Assembler a, Random random)
    {
        var labels = new List<Label>();
        for (int i = 0; i < 1 + random.Next(8); i++)
        {
            labels.Add(a.CreateLabel());
        }

        var bound = new bool[labels.Count];
        int steps = 4 + random.Next(random.Next(2) == 0 ? 20 : 200);
        for (int step = 0; step < steps; step++)
        {
            int unbound = Array.IndexOf(bound, false);
            if (unbound >= 0 && random.Next(6) == 0)
            {
                Label l = labels[unbound];
                a.Label(ref l);
                labels[unbound] = l;
                bound[unbound] = true;
            }

            Label target = labels[random.Next(labels.Count)];
            switch (random.Next(12))
            {
                case 0:
                    a.jmp(target);
                    break;
                case 1:
                    a.jne(target);
                    break;
                case 2:
                    a.jl(target);
                    break;
                case 3:
                    a.lea(rax, __[target]);
                    break;
                case 4:
                    a.jmp(FarTarget);
                    break;
                case 5:
                    a.call(FarTarget + 64);
                    break;
                case 6:
                    a.db(0xE9, 0, 0, 0, 0);
                    break;
                case 7:
                    a.mov(rax, (long)random.NextInt64());
                    break;
                case 8:
                    a.mov(__dword_ptr[rbx + random.Next(4096)], (uint)random.Next());
                    break;
                case 9:
                    a.mov(__dword_ptr.gs[edi + random.Next(256)], eax);
                    break;
                case 10:
                    a.je(FarTarget + 128);
                    break;
                default:
                    a.add(r12d, random.Next(1000));
                    break;
            }
        }

        // Every label is bound (an assembler rejects a block with a branch to nowhere).
        for (int i = 0; i < labels.Count; i++)
        {
            if (!bound[i])
            {
                Label l = labels[i];
                a.Label(ref l);
                labels[i] = l;
                a.nop();
            }
        }

        a.ret();
        return labels;
    }
}
