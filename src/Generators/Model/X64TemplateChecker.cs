using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Iced.Intel;
using Isa.Generators.Syntax;

namespace Isa.Generators.Model;

/// <summary>
/// Checks an <c>x64</c> template against its instruction and against Iced: placeholders name fields,
/// registers or temps; every line is one x64 instruction (found among Iced's codes by mnemonic and
/// operand kinds) with only explicit register operands, no control flow, and no write to a guest
/// register the template did not declare in <c>writes(...)</c>. The CPU features it needs beyond
/// x86-64's baseline become a run-time guard.
/// </summary>
internal sealed class X64TemplateChecker
{
    /// <summary>Registers a template can have at once in the x64 emitter: three scratch and four temporaries.</summary>
    public const int MaxRegisters = 7;

    // Host registers that stand in for placeholders while a line is checked (no RSP).
    private static readonly int[] CheckRegisters = { 0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };

    private static readonly Dictionary<CpuidFeature, string> OptionalFeatures = new()
    {
        [CpuidFeature.LZCNT] = "Lzcnt",
        [CpuidFeature.BMI1] = "Bmi1",
        [CpuidFeature.BMI2] = "Bmi2",
        [CpuidFeature.POPCNT] = "Popcnt",
        [CpuidFeature.MOVBE] = "Movbe",
    };

    private static readonly HashSet<CpuidFeature> Baseline = new()
    {
        CpuidFeature.INTEL8086, CpuidFeature.INTEL186, CpuidFeature.INTEL286, CpuidFeature.INTEL386, CpuidFeature.INTEL486,
        CpuidFeature.X64, CpuidFeature.CMOV, CpuidFeature.SSE, CpuidFeature.SSE2,
    };

    private static Dictionary<Mnemonic, List<Code>>? s_forms;

    private readonly IsaModel _isa;
    private readonly List<SpecDiagnostic> _diagnostics;
    private readonly InstructionInfoFactory _info = new();

    public X64TemplateChecker(IsaModel isa, List<SpecDiagnostic> diagnostics)
    {
        _isa = isa;
        _diagnostics = diagnostics;
    }

    private enum SlotKind
    {
        Input,
        Output,
        Temp,
        Immediate,
    }

    private sealed class Slot
    {
        public SlotKind Kind;
        public int Index;
        public int Bits;
        public int CheckRegister;
        public TemplateValue? Value;
        public bool Seen;
        public long Low;
        public long High;
    }

    public X64TemplateModel? Check(X64TemplateDecl decl, InsnModel insn)
    {
        int before = _diagnostics.Count;
        var model = new X64TemplateModel(insn, decl.Span);
        var slots = new Dictionary<string, Slot>();
        foreach (Token w in decl.Writes)
        {
            TemplateValue? value = Resolve(w.Text, insn);
            if (value?.Register is null)
            {
                Report(w.Span, value is null
                    ? $"'{w.Text}' in writes(...) is not a register field of '{insn.Name}' or a register"
                    : $"'{w.Text}' in writes(...) is a field value, not a register");
                continue;
            }

            if (slots.ContainsKey(w.Text))
            {
                Report(w.Span, $"'{w.Text}' is listed twice in writes(...)");
                continue;
            }

            slots[w.Text] = NewSlot(SlotKind.Output, model.Outputs.Count, value, slots.Count);
            model.Outputs.Add(value);
            model.OutputSources.Add(-1);
            model.FirstWrites.Add(-1);
        }

        foreach (X64Line line in decl.Lines)
        {
            CheckLine(line, insn, model, slots);
        }

        if (slots.Count > MaxRegisters + slots.Values.Count(s => s.Kind == SlotKind.Immediate))
        {
            Report(decl.Span, $"the template uses {slots.Values.Count(s => s.Kind != SlotKind.Immediate)} registers; at most {MaxRegisters} fit");
        }

        foreach (KeyValuePair<string, Slot> s in slots.Where(s => s.Value.Kind == SlotKind.Output && !s.Value.Seen))
        {
            Report(decl.Writes.First(w => w.Text == s.Key).Span, $"the template never writes '{s.Key}'");
        }

        return _diagnostics.Count == before ? model : null;
    }

    private Slot NewSlot(SlotKind kind, int index, TemplateValue? value, int order)
    {
        var slot = new Slot { Kind = kind, Index = index, Value = value, CheckRegister = order < CheckRegisters.Length ? CheckRegisters[order] : -1 };
        slot.Bits = value?.Register?.Type.Bits ?? 32;
        if (value?.Immediate is { } f)
        {
            int w = f.Type.Bits;
            slot.Low = f.Type.Signed ? -(1L << (w - 1)) : 0;
            slot.High = f.Type.Signed ? (1L << (w - 1)) - 1 : (w >= 63 ? long.MaxValue : (1L << w) - 1);
        }

        return slot;
    }

    private TemplateValue? Resolve(string name, InsnModel insn)
    {
        if (insn.Operands.FirstOrDefault(f => f.Name == name) is { } field)
        {
            return field.RegisterFile is { } file ? new TemplateValue(file, field, null) : new TemplateValue(null, null, field);
        }

        if (_isa.Registers.FirstOrDefault(r => r.Name == name && !r.IsArray) is { } scalar)
        {
            return new TemplateValue(scalar, null, null);
        }

        return null;
    }

    private void CheckLine(X64Line line, InsnModel insn, X64TemplateModel model, Dictionary<string, Slot> slots)
    {
        if (!Enum.TryParse(line.Mnemonic.Text, ignoreCase: true, out Mnemonic mnemonic) || mnemonic == Mnemonic.INVALID
            || !Forms().TryGetValue(mnemonic, out List<Code>? candidates))
        {
            Report(line.Mnemonic.Span, $"unknown x64 mnemonic '{line.Mnemonic.Text}'");
            return;
        }

        // Resolve operands to slots (new placeholders get theirs) or immediates.
        var operands = new List<(Slot? Slot, int Bits, long Value, string Text)>();
        foreach (X64Operand o in line.Operands)
        {
            if (o.Bare is { } bare)
            {
                Report(o.Span, $"'{bare}': a template names no host register; use a placeholder ({{t0}} for a scratch register)");
                return;
            }

            if (o.Number is { } n)
            {
                operands.Add((null, 0, n, n.ToString(CultureInfo.InvariantCulture)));
                continue;
            }

            string name = o.Placeholder!;
            if (!slots.TryGetValue(name, out Slot? slot))
            {
                TemplateValue? value = Resolve(name, insn);
                if (value is null && name.Length >= 2 && name[0] == 't' && int.TryParse(name.Substring(1), NumberStyles.None, CultureInfo.InvariantCulture, out int temp))
                {
                    slot = NewSlot(SlotKind.Temp, model.Temps++, null, slots.Count);
                    _ = temp;
                }
                else if (value is null)
                {
                    Report(o.Span, $"unknown placeholder '{{{name}}}': not a field of '{insn.Name}', a register or a temporary (t0, t1, ...)");
                    return;
                }
                else if (value.Immediate is not null)
                {
                    slot = NewSlot(SlotKind.Immediate, model.Inputs.Count, value, slots.Count);
                    model.Inputs.Add(value);
                    model.LastReads.Add(-1);
                }
                else
                {
                    slot = NewSlot(SlotKind.Input, model.Inputs.Count, value, slots.Count);
                    model.Inputs.Add(value);
                    model.LastReads.Add(-1);
                }

                slots[name] = slot;
            }

            if (slot.Kind == SlotKind.Immediate)
            {
                if (o.Bits is not null)
                {
                    Report(o.Span, $"'{{{name}}}' is a field value (an immediate): it has no register width");
                    return;
                }

                operands.Add((slot, 0, 0, name));
                continue;
            }

            if (slot.CheckRegister < 0)
            {
                Report(o.Span, "too many placeholders in one template");
                return;
            }

            int bits = o.Bits ?? slot.Bits;
            if (bits is not (8 or 16 or 32 or 64))
            {
                Report(o.Span, $"'{{{name}:{bits}}}': a register operand is 8, 16, 32 or 64 bits");
                return;
            }

            if (slot.Value?.Register is { } reg && reg.Type.Bits is not (32 or 64))
            {
                Report(o.Span, $"register {reg.Name} is {reg.Type.Bits} bits: templates handle 32- and 64-bit registers");
                return;
            }

            operands.Add((slot, bits, 0, name));
        }

        for (int i = 0; i < operands.Count; i++)
        {
            bool immediate = operands[i].Slot is null || operands[i].Slot!.Kind == SlotKind.Immediate;
            if (immediate && i != operands.Count - 1)
            {
                Report(line.Operands[i].Span, "an immediate must be the last operand");
                return;
            }
        }

        Code? chosen = null;
        int best = int.MaxValue;
        foreach (Code code in candidates)
        {
            OpCodeInfo op = code.ToOpCode();
            if (op.OpCount != operands.Count)
            {
                continue;
            }

            int rank = 0;
            for (int i = 0; i < operands.Count && rank >= 0; i++)
            {
                (Slot? slot, int bits, long value, _) = operands[i];
                OpCodeOperandKind kind = op.GetOpKind(i);
                if (slot is null || slot.Kind == SlotKind.Immediate)
                {
                    long low = slot?.Low ?? value, high = slot?.High ?? value;
                    int r = ImmediateRank(kind, low, high);
                    rank = r < 0 ? -1 : rank + r;
                }
                else if (!RegisterFits(kind, bits))
                {
                    rank = -1;
                }
            }

            if (rank >= 0 && rank < best)
            {
                best = rank;
                chosen = code;
            }
        }

        string shape = string.Join(", ", operands.Select(o => o.Slot is null || o.Slot.Kind == SlotKind.Immediate ? "imm" : "r" + o.Bits));
        if (chosen is not { } c)
        {
            Report(line.Span, $"no form of '{line.Mnemonic.Text}' takes ({shape}) in 64-bit mode");
            return;
        }

        Instruction instruction;
        InstructionInfo info;
        try
        {
            instruction = Create(c, operands.Select(o => o.Slot is null || o.Slot.Kind == SlotKind.Immediate ? (Register?)null : Sized(o.Slot.CheckRegister, o.Bits)).ToList(),
                operands.Count > 0 && (operands[operands.Count - 1].Slot is null || operands[operands.Count - 1].Slot!.Kind == SlotKind.Immediate)
                    ? operands[operands.Count - 1].Slot is { } s ? Math.Max(0, s.Low) : operands[operands.Count - 1].Value
                    : 0);
            info = _info.GetInfo(instruction);
        }
        catch (ArgumentException e)
        {
            Report(line.Span, $"'{line.Mnemonic.Text}' ({c}) cannot be built with these operands: {e.Message}");
            return;
        }

        if (instruction.FlowControl != FlowControl.Next)
        {
            Report(line.Span, $"'{line.Mnemonic.Text}' changes control flow: a template is straight-line code");
            return;
        }

        foreach (CpuidFeature feature in c.CpuidFeatures())
        {
            if (OptionalFeatures.TryGetValue(feature, out string? flag))
            {
                model.Features.Add(flag);
            }
            else if (!Baseline.Contains(feature))
            {
                Report(line.Span, $"'{line.Mnemonic.Text}' needs CPU feature {feature}, which the JIT does not check at run time");
                return;
            }
        }

        var explicitRegisters = new HashSet<Register>(operands.Where(o => o.Slot is { Kind: not SlotKind.Immediate }).Select(o => Sized(o.Slot!.CheckRegister, 64)));
        foreach (UsedRegister used in info.GetUsedRegisters())
        {
            if (!explicitRegisters.Contains(used.Register.GetFullRegister()))
            {
                Report(line.Span, $"'{line.Mnemonic.Text}' uses {used.Register.ToString().ToLowerInvariant()} implicitly: a template's registers are all placeholders");
                return;
            }
        }

        // Accesses, in operand order: an output read before it is written is preloaded; a temp must be written first.
        var lineAccess = new Dictionary<Slot, OpAccess>();
        for (int i = 0; i < operands.Count; i++)
        {
            if (operands[i].Slot is { Kind: not SlotKind.Immediate } slot)
            {
                OpAccess access = info.GetOpAccess(i);
                lineAccess[slot] = lineAccess.TryGetValue(slot, out OpAccess previous) ? Merge(previous, access) : access;
            }
        }

        foreach (KeyValuePair<Slot, OpAccess> a in lineAccess)
        {
            Slot slot = a.Key;
            string name = slots.First(s => s.Value == slot).Key;
            bool reads = a.Value is OpAccess.Read or OpAccess.CondRead or OpAccess.ReadWrite or OpAccess.ReadCondWrite or OpAccess.CondWrite;
            bool writes = a.Value is OpAccess.Write or OpAccess.CondWrite or OpAccess.ReadWrite or OpAccess.ReadCondWrite;
            if (writes && slot.Kind == SlotKind.Input)
            {
                Report(line.Span, $"'{line.Mnemonic.Text}' writes '{{{name}}}', which the template does not declare in writes(...)");
                return;
            }

            if (!slot.Seen && reads && slot.Kind == SlotKind.Temp)
            {
                Report(line.Span, $"'{line.Mnemonic.Text}' reads temporary '{{{name}}}' before the template writes it");
                return;
            }

            if (!slot.Seen && reads && slot.Kind == SlotKind.Output)
            {
                model.OutputSources[slot.Index] = model.Inputs.Count;
                model.Inputs.Add(slot.Value!);
                model.LastReads.Add(-1);
            }

            if (reads && slot.Kind == SlotKind.Input)
            {
                model.LastReads[slot.Index] = model.Instructions.Count;
            }

            if (writes && slot.Kind == SlotKind.Output && model.FirstWrites[slot.Index] < 0)
            {
                model.FirstWrites[slot.Index] = model.Instructions.Count;
            }

            if (writes && slot.Kind == SlotKind.Output)
            {
                // 8- and 16-bit writes keep the bits above; a 32-bit write zero-extends.
                int bits = operands.Where(o => o.Slot == slot).Max(o => o.Bits), width = slot.Value!.Register!.Type.Bits;
                bool canonical = bits == width || (bits == 32 && width == 64);
                model.CanonicalOutputs = canonical ? model.CanonicalOutputs | (1 << slot.Index) : model.CanonicalOutputs & ~(1 << slot.Index);
            }

            slot.Seen = true;
        }

        var rendered = new List<string>();
        foreach ((Slot? slot, int bits, long value, _) in operands)
        {
            rendered.Add(slot switch
            {
                null => $"HostOperand.Immediate({value.ToString(CultureInfo.InvariantCulture)})",
                { Kind: SlotKind.Immediate } => $"HostOperand.InputImmediate({slot.Index})",
                { Kind: SlotKind.Input } => $"HostOperand.Input({slot.Index}, {bits})",
                { Kind: SlotKind.Output } => $"HostOperand.Output({slot.Index}, {bits})",
                _ => $"HostOperand.Temp({slot.Index}, {bits})",
            });
        }

        string text = line.Mnemonic.Text + (line.Operands.Count == 0 ? "" : " " + string.Join(", ", line.Operands.Select(OperandText)));
        model.Instructions.Add(new X64InstructionModel((int)c, c.ToString(), rendered, text));
    }

    private static string OperandText(X64Operand o) => o.Placeholder is { } p
        ? "{" + p + (o.Bits is { } b ? ":" + b.ToString(CultureInfo.InvariantCulture) : "") + "}"
        : o.Number?.ToString(CultureInfo.InvariantCulture) ?? o.Bare ?? "";

    private static OpAccess Merge(OpAccess a, OpAccess b)
    {
        bool reads = a is OpAccess.Read or OpAccess.ReadWrite || b is OpAccess.Read or OpAccess.ReadWrite;
        bool writes = a is OpAccess.Write or OpAccess.ReadWrite || b is OpAccess.Write or OpAccess.ReadWrite;
        return reads && writes ? OpAccess.ReadWrite : reads ? OpAccess.Read : writes ? OpAccess.Write : a;
    }

    private static Instruction Create(Code code, List<Register?> registers, long immediate)
    {
        var regs = registers.Where(r => r is not null).Select(r => r!.Value).ToList();
        bool hasImmediate = regs.Count < registers.Count;
        return (regs.Count, hasImmediate) switch
        {
            (0, false) => Instruction.Create(code),
            (1, false) => Instruction.Create(code, regs[0]),
            (2, false) => Instruction.Create(code, regs[0], regs[1]),
            (3, false) => Instruction.Create(code, regs[0], regs[1], regs[2]),
            (0, true) => Instruction.Create(code, (int)immediate),
            (1, true) => Instruction.Create(code, regs[0], immediate),
            _ when immediate < 0 => Instruction.Create(code, regs[0], regs[1], (int)immediate),
            _ => Instruction.Create(code, regs[0], regs[1], (uint)immediate),
        };
    }

    private static Register Sized(int n, int bits) => bits switch
    {
        64 => Register.RAX + n,
        32 => Register.EAX + n,
        16 => Register.AX + n,
        _ => n < 4 ? Register.AL + n : Register.SPL + (n - 4),
    };

    private static bool RegisterFits(OpCodeOperandKind kind, int bits) => bits switch
    {
        64 => kind is OpCodeOperandKind.r64_reg or OpCodeOperandKind.r64_rm or OpCodeOperandKind.r64_or_mem or OpCodeOperandKind.r64_opcode or OpCodeOperandKind.r64_vvvv,
        32 => kind is OpCodeOperandKind.r32_reg or OpCodeOperandKind.r32_rm or OpCodeOperandKind.r32_or_mem or OpCodeOperandKind.r32_opcode or OpCodeOperandKind.r32_vvvv,
        16 => kind is OpCodeOperandKind.r16_reg or OpCodeOperandKind.r16_rm or OpCodeOperandKind.r16_or_mem or OpCodeOperandKind.r16_opcode,
        _ => kind is OpCodeOperandKind.r8_reg or OpCodeOperandKind.r8_or_mem or OpCodeOperandKind.r8_opcode,
    };

    /// <summary>How costly an immediate kind is (smaller encodings first), or -1 if [low, high] does not fit it.</summary>
    private static int ImmediateRank(OpCodeOperandKind kind, long low, long high) => kind switch
    {
        OpCodeOperandKind.imm8_const_1 => low == 1 && high == 1 ? 0 : -1,
        OpCodeOperandKind.imm8 => low >= sbyte.MinValue && high <= byte.MaxValue ? 1 : -1,
        OpCodeOperandKind.imm8sex16 or OpCodeOperandKind.imm8sex32 or OpCodeOperandKind.imm8sex64 => low >= sbyte.MinValue && high <= sbyte.MaxValue ? 1 : -1,
        OpCodeOperandKind.imm16 => low >= short.MinValue && high <= ushort.MaxValue ? 2 : -1,
        OpCodeOperandKind.imm32 => low >= int.MinValue && high <= uint.MaxValue ? 3 : -1,
        OpCodeOperandKind.imm32sex64 => low >= int.MinValue && high <= int.MaxValue ? 3 : -1,
        OpCodeOperandKind.imm64 => 4,
        _ => -1,
    };

    /// <summary>64-bit-mode legacy and VEX instruction codes by mnemonic (built once).</summary>
    private static Dictionary<Mnemonic, List<Code>> Forms()
    {
        if (s_forms is { } forms)
        {
            return forms;
        }

        forms = new Dictionary<Mnemonic, List<Code>>();
        foreach (Code code in Enum.GetValues(typeof(Code)))
        {
            OpCodeInfo op = code.ToOpCode();
            if (!op.IsInstruction || !op.Mode64 || op.Encoding is not (EncodingKind.Legacy or EncodingKind.VEX))
            {
                continue;
            }

            Mnemonic m = code.Mnemonic();
            if (!forms.TryGetValue(m, out List<Code>? list))
            {
                forms[m] = list = new List<Code>();
            }

            list.Add(code);
        }

        s_forms = forms;
        return forms;
    }

    private void Report(SourceSpan span, string message) => _diagnostics.Add(Diagnostics.BadHostTemplate.At(span, message));
}
