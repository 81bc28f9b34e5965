using Iced.Intel;
using Isa.Runtime.Jit;
using static Iced.Intel.AssemblerRegisters;

namespace Isa.Backends.Jit.X64;

/// <summary>
/// Spec-carried x64 templates (<see cref="HostTemplate"/>): the template's instructions with their
/// placeholders bound to host registers. Inputs stay where they are (a guest register's home) or
/// are loaded into a scratch register; temps get scratch registers; an output works in its guest
/// register's home unless an input living there is read after the output's first write, else in a
/// scratch register stored back after the last instruction. So a template reads the values from
/// before the instruction however the guest registers alias.
/// </summary>
internal sealed partial class X64Emitter
{
    private static readonly int[] TemplateScratch = [Rax, Rcx, Rdx];

    /// <summary>False: every instruction takes its generic lowering.</summary>
    public bool UseTemplates { get; init; } = true;

    public bool Supports(HostTemplate template) =>
        UseTemplates && template.Host == HostIsa.X64 && (template.Features & ~HostFeatures) == 0 && template.EncoderVersion == IcedVersion;

    public void Template(HostTemplate template, ReadOnlySpan<JitValue> inputs, ReadOnlySpan<JitRegister> outputs)
    {
        FlushFlags();
        if (inputs.Length != template.Inputs || outputs.Length != template.Outputs)
        {
            throw new JitUnsupportedException($"template {template.Name}: {inputs.Length} inputs and {outputs.Length} outputs given, {template.Inputs} and {template.Outputs} expected");
        }

        if (_dead)
        {
            foreach (JitValue v in inputs)
            {
                Release(v);
            }

            return;
        }

        // Where each input is (materializing a deferred value may use RAX: before any scratch is handed out).
        Span<int> inputRegisters = stackalloc int[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            inputRegisters[i] = Locate(inputs[i]) is { Kind: LocationKind.Register } l ? l.Register : -1;
        }

        uint scratch = 0;
        foreach (int r in TemplateScratch)
        {
            scratch |= 1u << r;
        }

        uint taken = 0;
        int Take()
        {
            if (scratch != 0)
            {
                int r = System.Numerics.BitOperations.TrailingZeroCount(scratch);
                scratch &= ~(1u << r);
                return r;
            }

            int t = AllocateTemp();
            taken |= 1u << t;
            return t;
        }

        // Inputs used as registers but not in one (a constant, a register in the state block) are loaded.
        foreach (HostTemplateInstruction insn in template.Instructions)
        {
            for (int k = 0; k < insn.OperandCount; k++)
            {
                HostOperand o = insn.Operand(k);
                if (o.Kind == HostOperandKind.Input && inputRegisters[o.Slot] < 0)
                {
                    inputRegisters[o.Slot] = Take();
                    MoveTo(inputRegisters[o.Slot], Locate(inputs[o.Slot]));
                }
            }
        }

        // An output works in its guest register's home when no other input is read from there (the
        // template then sees the old values however registers alias); otherwise in a scratch register.
        Span<int> outputRegisters = stackalloc int[outputs.Length];
        Span<int> outputOffsets = stackalloc int[outputs.Length];
        for (int i = 0; i < outputs.Length; i++)
        {
            JitRegister target = outputs[i];
            outputOffsets[i] = RegisterOffset(target.File, Constant((ulong)target.Index, JitType.U32));
            int home = _hardwired.Contains(outputOffsets[i]) ? -1 : HomeOf(target.File, outputOffsets[i])?.Register ?? -1;
            for (int j = 0; j < inputs.Length && home >= 0; j++)
            {
                if (inputRegisters[j] == home && j != template.OutputSources[i] && template.LastReads[j] > template.FirstWrites[i])
                {
                    home = -1;
                }
            }

            for (int j = 0; j < i && home >= 0; j++)
            {
                home = outputRegisters[j] == home ? -1 : home;
            }

            outputRegisters[i] = home >= 0 ? home : Take();
            if (home >= 0)
            {
                CopyPinsOf(home, outputOffsets[i]);
            }

            if (template.OutputSources[i] is int source and >= 0)
            {
                MoveTo(outputRegisters[i], Locate(inputs[source]));
            }
        }

        Span<int> tempRegisters = stackalloc int[template.Temps];
        for (int i = 0; i < tempRegisters.Length; i++)
        {
            tempRegisters[i] = Take();
        }

        foreach (HostTemplateInstruction insn in template.Instructions)
        {
            _a.AddInstruction(Bind(template, insn, inputs, inputRegisters, outputRegisters, tempRegisters));
        }

        // Stored at the guest register's width: a 32-bit move also drops whatever the template left above.
        for (int i = 0; i < outputs.Length; i++)
        {
            JitRegister target = outputs[i];
            int offset = outputOffsets[i];
            if (_hardwired.Contains(offset))
            {
                continue;
            }

            bool wide = _layout.RegisterFiles[target.File].ElementBytes == 8;
            Home? home = HomeOf(target.File, offset);
            CopyPinsOf(home?.Register ?? -1, offset);
            if (home is { } h)
            {
                bool inPlace = h.Register == outputRegisters[i];
                if (wide && !inPlace)
                {
                    _a.mov(R64(h.Register), R64(outputRegisters[i]));
                }
                else if (!wide && (!inPlace || (template.CanonicalOutputs & (1 << i)) == 0))
                {
                    _a.mov(R32(h.Register), R32(outputRegisters[i]));
                }

                MarkWritten(offset);
            }
            else if (wide)
            {
                _a.mov(__qword_ptr[rbx + offset], R64(outputRegisters[i]));
            }
            else
            {
                _a.mov(__dword_ptr[rbx + offset], R32(outputRegisters[i]));
            }

            _known.Remove(offset);
            RegisterWritten(offset, default);
        }

        foreach (JitValue v in inputs)
        {
            Release(v);
        }

        _freeTemps |= taken;
    }

    private static Instruction Bind(HostTemplate template, HostTemplateInstruction insn, ReadOnlySpan<JitValue> inputs, Span<int> inputRegisters, Span<int> outputRegisters, Span<int> tempRegisters)
    {
        var code = (Code)insn.Code;
        Span<Register> registers = stackalloc Register[3];
        long immediate = 0;
        int registerCount = 0;
        for (int k = 0; k < insn.OperandCount; k++)
        {
            HostOperand o = insn.Operand(k);
            switch (o.Kind)
            {
                case HostOperandKind.Input:
                    registers[registerCount++] = HostRegister(inputRegisters[o.Slot], o.Bits);
                    break;
                case HostOperandKind.Output:
                    registers[registerCount++] = HostRegister(outputRegisters[o.Slot], o.Bits);
                    break;
                case HostOperandKind.Temp:
                    registers[registerCount++] = HostRegister(tempRegisters[o.Slot], o.Bits);
                    break;
                case HostOperandKind.InputImmediate:
                    immediate = inputs[o.Slot].IsConstant
                        ? (long)inputs[o.Slot].Constant
                        : throw new JitUnsupportedException($"template {template.Name}: immediate operand {o.Slot} is not a constant");
                    break;
                default:
                    immediate = o.Value;
                    break;
            }
        }

        bool hasImmediate = registerCount < insn.OperandCount;
        return (registerCount, hasImmediate) switch
        {
            (1, false) => Instruction.Create(code, registers[0]),
            (2, false) => Instruction.Create(code, registers[0], registers[1]),
            (3, false) => Instruction.Create(code, registers[0], registers[1], registers[2]),
            (1, true) => Instruction.Create(code, registers[0], immediate),
            (2, true) when immediate < 0 => Instruction.Create(code, registers[0], registers[1], (int)immediate),
            (2, true) => Instruction.Create(code, registers[0], registers[1], (uint)immediate),
            _ => throw new JitUnsupportedException($"template {template.Name}: unsupported operand shape for {insn.CodeName}"),
        };
    }

    // Template codes are Iced's numbers of the version the generator ran with (Supports checks it). The
    // version, not each code's name: Iced's name table (~4,900 names) took ~3 ms of every NativeAOT start.
    private static readonly string IcedVersion = typeof(Code).Assembly.GetName().Version?.ToString() ?? "unknown";

    private static Register HostRegister(int r, int bits) => bits switch
    {
        64 => Register.RAX + r,
        32 => Register.EAX + r,
        16 => Register.AX + r,
        _ => r < 4 ? Register.AL + r : Register.SPL + (r - 4),
    };
}
