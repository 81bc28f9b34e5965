using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using Isa.Generators.Model;
using Isa.Generators.Semantics;
using Scriban;

namespace Isa.Generators.Emit;

/// <summary>
/// Renders one ISA model to C# files. Code that depends on the semantics (handler bodies, the
/// decoder tree) is built here; the templates give each file its shape.
/// </summary>
internal static class IsaEmitter
{
    private static readonly Dictionary<string, Template> Templates = new();

    public static IEnumerable<(string HintName, string Source)> Emit(IsaModel isa)
    {
        string stem = isa.TypeStem;
        var common = new Dictionary<string, object?>
        {
            ["isa"] = isa.Name,
            ["stem"] = stem,
            ["namespace"] = "Isa.Guests." + stem,
            ["sources"] = string.Join(", ", isa.SourcePaths.Select(Path.GetFileName)),
            ["pc_type"] = isa.PcType.CSharp,
            ["word_type"] = IrType.UInt(isa.InsnBits).CSharp,
            ["insn_bytes"] = isa.InsnBits / 8,
        };

        yield return ($"{stem}.State.g.cs", Render("State", common, StateModel(isa)));
        yield return ($"{stem}.Decoder.g.cs", Render("Decoder", common, DecoderModel(isa)));
        yield return ($"{stem}.Disassembler.g.cs", Render("Disassembler", common, DisassemblerModel(isa)));
        yield return ($"{stem}.Interpreter.g.cs", Render("Interpreter", common, InterpreterModel(isa)));
        yield return ($"{stem}.Jit.g.cs", Render("Jit", common, JitModel(isa)));
        yield return ($"{stem}.Isa.g.cs", Render("Isa", common, IsaModel(isa)));
    }

    public static string EmitCatalog(IEnumerable<(string Stem, string Member)> variants)
    {
        var model = new Dictionary<string, object?>
        {
            ["variants"] = variants.Select(v => $"Isa.Guests.{v.Stem}.{v.Stem}Isa.{v.Member}").ToList(),
        };
        return Render("Catalog", model, new Dictionary<string, object?>());
    }

    public static string VariantMember(EndianVariant v) => Naming.Pascal(v.Name);

    private static Dictionary<string, object?> StateModel(IsaModel isa) => new()
    {
        ["registers"] = isa.Registers.Select(r => new Dictionary<string, object?>
        {
            ["name"] = r.CSharpName,
            ["field_type"] = r.IsArray ? r.CSharpName + "Array" : r.Type.CSharp,
            ["doc"] = r.IsArray ? $"{r.Name}[{r.Count}] : {r.Type}" : $"{r.Name} : {r.Type}",
            ["location"] = r.Span.ToString(),
        }).ToList(),
        ["arrays"] = isa.Registers.Where(r => r.IsArray).Select(r => new Dictionary<string, object?>
        {
            ["count"] = r.Count,
            ["array_type"] = r.CSharpName + "Array",
            ["element_type"] = r.Type.CSharp,
        }).ToList(),
    };

    private static Dictionary<string, object?> DecoderModel(IsaModel isa)
    {
        var tree = new CodeWriter(2);
        DecoderTree.Emit(tree, isa.Instructions, isa.TypeStem + "Opcode");
        return new Dictionary<string, object?>
        {
            ["tree"] = tree.ToString().TrimEnd('\n'),
            ["instructions"] = isa.Instructions.Select(i => new Dictionary<string, object?>
            {
                ["name"] = i.CSharpName,
                ["mnemonic"] = i.Name,
                ["syntax"] = Escape(SyntaxText(i.Syntax)),
                ["mask"] = i.Mask.ToString("X", CultureInfo.InvariantCulture),
                ["match"] = i.Match.ToString("X", CultureInfo.InvariantCulture),
                ["flags"] = i.Flags.Count == 0 ? "InstructionFlags.None" : string.Join(" | ", i.Flags.Select(f => "InstructionFlags." + f)),
                ["fields"] = Quoted(i.Operands.Select(o => o.Name)),
                ["reads"] = Quoted(i.Reads),
                ["writes"] = Quoted(i.Writes),
                ["location"] = i.Span.ToString(),
            }).ToList(),
        };
    }

    private static Dictionary<string, object?> DisassemblerModel(IsaModel isa)
    {
        var lowering = new CSharpLowering(isa, inFunction: false);
        return new Dictionary<string, object?>
        {
            ["register_names"] = isa.Registers.Where(r => isa.Fields.Any(f => f.RegisterFile == r) || isa.Instructions.Any(i => UsesRegister(i, r))).Select(r => new Dictionary<string, object?>
            {
                ["name"] = r.CSharpName,
                ["names"] = Quoted(r.ElementNames),
            }).ToList(),
            ["name_tables"] = isa.NameTables.Select(t => new Dictionary<string, object?>
            {
                ["name"] = t.CSharpName,
                ["cases"] = t.Entries.Select(e => $"0x{e.Key:X}UL => \"{Escape(e.Value)}\",").ToList(),
            }).ToList(),
            ["instructions"] = isa.Instructions.Select(i =>
            {
                var w = new CodeWriter(4);
                var used = new HashSet<FieldModel>();
                foreach (AliasModel alias in i.Aliases)
                {
                    CollectFields(alias.Condition, used);
                    CollectFields(alias.Syntax, used);
                }

                CollectFields(i.Syntax, used);
                foreach (FieldModel f in i.Operands.Where(used.Contains))
                {
                    w.Line($"{f.Type.CSharp} {f.Name} = {Model.Encoder.ExtractExpression(f, "word", isa.InsnBits)};");
                }

                bool unconditional = false;
                foreach (AliasModel alias in i.Aliases)
                {
                    if (alias.Condition is IrConst { Value: not 0 })
                    {
                        // An alias without 'when' always applies: later aliases and the instruction's own syntax never print.
                        w.Line($"return {FormatSyntax(alias.Syntax, lowering, isa)}; // alias {alias.Name}, {alias.Span}");
                        unconditional = true;
                        break;
                    }

                    w.Line($"if ({lowering.Expr(alias.Condition)}) return {FormatSyntax(alias.Syntax, lowering, isa)}; // alias {alias.Name}, {alias.Span}");
                }

                if (!unconditional)
                {
                    w.Line($"return {FormatSyntax(i.Syntax, lowering, isa)};");
                }
                return new Dictionary<string, object?>
                {
                    ["name"] = i.CSharpName,
                    ["location"] = i.Span.ToString(),
                    ["body"] = w.ToString().TrimEnd('\n'),
                };
            }).ToList(),
        };
    }

    private static bool UsesRegister(InsnModel insn, RegisterModel register) =>
        insn.Syntax.Parts.Any(p => p.Register == register) || insn.Aliases.Any(a => a.Syntax.Parts.Any(p => p.Register == register));

    private static Dictionary<string, object?> InterpreterModel(IsaModel isa)
    {
        var functionLowering = new CSharpLowering(isa, inFunction: true);
        return new Dictionary<string, object?>
        {
            ["uses_fpu"] = isa.Instructions.Any(i => i.Flags.Contains("FloatingPoint")),
            ["nan_convention"] = isa.LegacyMipsNaN ? "LegacyMips" : "Ieee2008",
            ["registers"] = isa.Registers.Select((r, index) => new Dictionary<string, object?>
            {
                ["file"] = index,
                ["get"] = RegisterGet(r),
                ["set"] = RegisterSet(r),
            }).ToList(),
            ["functions"] = isa.Functions.Select(f =>
            {
                var w = new CodeWriter(2);
                functionLowering.Statements(w, f.Body);
                return new Dictionary<string, object?>
                {
                    ["name"] = f.CSharpName,
                    ["location"] = f.Span.ToString(),
                    ["return_type"] = f.ReturnType.CSharp,
                    ["parameters"] = string.Concat(f.Parameters.Select(p => $", {p.Type.CSharp} {p.CSharpName}")),
                    ["body"] = w.ToString().TrimEnd('\n'),
                };
            }).ToList(),
            ["instructions"] = isa.Instructions.Select(i =>
            {
                var w = new CodeWriter(2);
                var used = new HashSet<FieldModel>();
                CollectFields(i.Body, used);
                foreach (FieldModel f in i.Operands.Where(used.Contains))
                {
                    w.Line($"{f.Type.CSharp} {f.Name} = {Model.Encoder.ExtractExpression(f, "word", isa.InsnBits)};");
                }

                if (i.Flags.Contains("FloatingPoint"))
                {
                    w.Line("_fpFlags = FloatFlags.None;");
                }

                new CSharpLowering(isa, inFunction: false).Statements(w, i.Body);
                if (!EndsWithReturn(i.Body))
                {
                    w.Line("return TrapKind.None;");
                }

                return new Dictionary<string, object?>
                {
                    ["name"] = i.CSharpName,
                    ["location"] = i.Span.ToString(),
                    ["syntax"] = SyntaxText(i.Syntax).Replace("\t", " "),
                    ["body"] = w.ToString().TrimEnd('\n'),
                };
            }).ToList(),
        };
    }

    private static Dictionary<string, object?> JitModel(IsaModel isa)
    {
        List<InsnModel> supported = isa.Instructions.Where(i => JitLowering.Supports(i.Body) || i.X64Template is not null).ToList();
        List<string> unsupported = isa.Instructions.Except(supported).Select(i => i.Name).ToList();
        var lines = new List<string>();
        for (int i = 0; i < unsupported.Count; i += 12)
        {
            lines.Add(string.Join(", ", unsupported.Skip(i).Take(12)) + (i + 12 < unsupported.Count ? "," : "."));
        }

        return new Dictionary<string, object?>
        {
            ["template_fields"] = string.Join(", ", isa.Instructions.Where(i => i.X64Template is not null).Select(X64TemplateEmitter.FieldName)),
            ["unsupported_lines"] = unsupported.Count == 0 ? new List<string> { "(none)" } : lines,
            ["functions"] = isa.Functions.Where(f => JitLowering.Supports(f.ReturnType) && JitLowering.Supports(f.Body) && f.Parameters.All(p => JitLowering.Supports(p.Type))).Select(f =>
            {
                var w = new CodeWriter(2);
                JitLowering.Function(w, isa, f);
                return new Dictionary<string, object?>
                {
                    ["name"] = f.CSharpName,
                    ["location"] = f.Span.ToString(),
                    ["return_type"] = f.ReturnType.Kind == TypeKind.Void ? "void" : "JitValue",
                    ["parameters"] = string.Concat(f.Parameters.Select(p => $", JitValue {p.CSharpName}")),
                    ["body"] = w.ToString().TrimEnd('\n'),
                };
            }).ToList(),
            ["instructions"] = supported.Select(i =>
            {
                var w = new CodeWriter(2);
                var used = new HashSet<FieldModel>();
                bool generic = JitLowering.Supports(i.Body);
                if (generic)
                {
                    CollectFields(i.Body, used);
                }

                if (i.X64Template is { } t)
                {
                    used.UnionWith(t.Inputs.Concat(t.Outputs).SelectMany(v => new[] { v.Index, v.Immediate }).Where(f => f is not null)!);
                }

                foreach (FieldModel f in i.Operands.Where(used.Contains))
                {
                    w.Line($"{f.Type.CSharp} {f.Name} = {Model.Encoder.ExtractExpression(f, "word", isa.InsnBits)};");
                }

                if (i.X64Template is not null)
                {
                    X64TemplateEmitter.Use(w, isa, i);
                }

                if (generic)
                {
                    JitLowering.Instruction(w, isa, i);
                }

                if (i.X64Template is not null)
                {
                    w.Line(generic ? "return true;" : "return false;");
                }

                return new Dictionary<string, object?>
                {
                    ["name"] = i.CSharpName,
                    ["location"] = i.Span.ToString(),
                    ["syntax"] = SyntaxText(i.Syntax).Replace("\t", " "),
                    ["body"] = w.ToString().TrimEnd('\n'),
                    ["template"] = i.X64Template is null ? null : X64TemplateEmitter.Declaration(isa, i),
                };
            }).ToList(),
        };
    }

    private static bool EndsWithReturn(IReadOnlyList<IrStmt> body) => body.Count > 0 && body[body.Count - 1] is IrReturn or IrRaise;

    private static Dictionary<string, object?> IsaModel(IsaModel isa)
    {
        string Register(TestRegisterValue r) => $"new({r.File}, {r.Index}, 0x{r.Value:X}UL)";
        string Memory(TestMemoryValue m) => $"new(0x{m.Address:X}u, {m.Bytes}, 0x{m.Value:X}UL)";
        return new Dictionary<string, object?>
        {
            ["description"] = Escape(isa.Description.Length > 0 ? isa.Description : isa.Name),
            ["elf_machine"] = isa.ElfMachine,
            ["linux_abi"] = isa.LinuxAbi is null ? "null" : "\"" + isa.LinuxAbi + "\"",
            ["variants"] = isa.Variants.Select(v => new Dictionary<string, object?>
            {
                ["member"] = VariantMember(v),
                ["name"] = v.Name,
                ["endian"] = v.BigEndian ? "Big" : "Little",
                ["endian_name"] = v.BigEndian ? "big" : "little",
            }).ToList(),
            ["variant_members"] = string.Join(", ", isa.Variants.Select(VariantMember)),
            ["delay_slot"] = isa.DelaySlot ? "true" : "false",
            ["registers"] = isa.Registers.Select(r => new Dictionary<string, object?>
            {
                ["spec_name"] = r.Name,
                ["field"] = r.IsArray ? r.CSharpName + "[0]" : r.CSharpName,
                ["element_bytes"] = r.Type.RepBits / 8,
                ["hardwired"] = string.Join(", ", r.Hardwired),
                ["count"] = r.Count,
                ["bits"] = r.Type.Bits,
                ["names"] = Quoted(r.ElementNames),
            }).ToList(),
            ["tests"] = isa.Tests.Select(t => new Dictionary<string, object?>
            {
                ["name"] = Escape(t.Name),
                ["location"] = t.Span.ToString(),
                ["words"] = string.Join(", ", t.Words.Select(w => $"0x{w:X8}UL")),
                ["steps"] = t.Steps,
                ["setup"] = string.Join(", ", t.Setup.Select(Register)),
                ["memory_setup"] = string.Join(", ", t.MemorySetup.Select(Memory)),
                ["expected"] = string.Join(", ", t.Expected.Select(Register)),
                ["expected_memory"] = string.Join(", ", t.ExpectedMemory.Select(Memory)),
                ["trap"] = t.ExpectedTrap is null ? "null" : "TrapKind." + t.ExpectedTrap,
                ["disassembly"] = t.Disassembly is null ? "null" : "\"" + Escape(NormalizeAssembly(t.Disassembly)) + "\"",
            }).ToList(),
        };
    }

    private static string RegisterGet(RegisterModel r)
    {
        string element = r.IsArray ? $"s.{r.CSharpName}[index]" : $"s.{r.CSharpName}";
        return r.Type.Kind switch
        {
            TypeKind.F32 => $"System.BitConverter.SingleToUInt32Bits({element})",
            TypeKind.F64 => $"System.BitConverter.DoubleToUInt64Bits({element})",
            _ when r.Type.Signed => $"(ulong)({(r.Type.Bits > 32 ? "ulong" : "uint")}){element}",
            _ => element,
        };
    }

    private static string RegisterSet(RegisterModel r)
    {
        string element = r.IsArray ? $"s.{r.CSharpName}[index]" : $"s.{r.CSharpName}";
        string value = r.Type.Kind switch
        {
            TypeKind.F32 => "System.BitConverter.UInt32BitsToSingle((uint)value)",
            TypeKind.F64 => "System.BitConverter.UInt64BitsToDouble(value)",
            _ => $"({r.Type.CSharp})(value & 0x{Bits.Mask(r.Type.Bits):X}UL)",
        };
        string guard = r.Hardwired.Count == 0 ? "" : $"if ({string.Join(" && ", r.Hardwired.Select(h => $"index != {h}"))}) ";
        return $"{guard}{element} = {value};";
    }

    /// <summary>C# that builds the text of a syntax template.</summary>
    private static string FormatSyntax(SyntaxTemplate syntax, CSharpLowering lowering, IsaModel isa)
    {
        var pieces = new List<string>();
        var text = new StringBuilder();
        bool tabbed = false;
        foreach (SyntaxPart part in syntax.Parts)
        {
            if (part.Text is { } literal)
            {
                foreach (char c in literal)
                {
                    if (char.IsWhiteSpace(c))
                    {
                        if (!tabbed && (text.Length > 0 || pieces.Count > 0))
                        {
                            text.Append('\t');
                            tabbed = true;
                        }

                        continue;
                    }

                    text.Append(c);
                }

                continue;
            }

            if (text.Length > 0)
            {
                pieces.Add("\"" + Escape(text.ToString()) + "\"");
                text.Clear();
            }

            pieces.Add(FormatOperand(part, lowering, isa));
        }

        if (text.Length > 0 || pieces.Count == 0)
        {
            pieces.Add("\"" + Escape(text.ToString().TrimEnd('\t')) + "\"");
        }

        return string.Join(" + ", pieces);
    }

    private static string FormatOperand(SyntaxPart part, CSharpLowering lowering, IsaModel isa)
    {
        IrExpr value = part.Value!;
        string e = lowering.Expr(value);
        bool signed = value.Type.Signed;
        if (part.Register is { } reg)
        {
            return $"{reg.CSharpName}Names[(int){e}]";
        }

        if (part.Names is { } names)
        {
            return $"{names.CSharpName}Name((ulong){e})";
        }

        return part.Format switch
        {
            "x" => signed ? $"Hex((long){e})" : $"Hex((ulong){e})",
            "addr" => $"Address((ulong)({e}) & 0x{Bits.Mask(isa.WordBits):X}UL)",
            "u" => $"Dec((ulong)({IrType.UInt(value.Type.RepBits).CSharp}){e})",
            _ => signed ? $"Dec((long){e})" : $"Dec((ulong){e})",
        };
    }

    /// <summary>Assembly text as the disassembler prints it: a tab after the mnemonic, no other white space.</summary>
    public static string NormalizeAssembly(string text)
    {
        string trimmed = text.Trim();
        int space = 0;
        while (space < trimmed.Length && !char.IsWhiteSpace(trimmed[space]))
        {
            space++;
        }

        string operands = new string(trimmed.Substring(space).Where(c => !char.IsWhiteSpace(c)).ToArray());
        return operands.Length == 0 ? trimmed.Substring(0, space) : trimmed.Substring(0, space) + "\t" + operands;
    }

    private static string SyntaxText(SyntaxTemplate syntax) => string.Concat(syntax.Parts.Select(p => p.Text ?? "{" + Describe(p) + "}"));

    private static string Describe(SyntaxPart p) => p.Value switch
    {
        IrField f => f.Field.Name + (p.Format.Length > 0 ? ":" + p.Format : ""),
        _ => "expr" + (p.Format.Length > 0 ? ":" + p.Format : ""),
    };

    private static void CollectFields(SyntaxTemplate syntax, HashSet<FieldModel> used)
    {
        foreach (SyntaxPart part in syntax.Parts)
        {
            if (part.Value is not null)
            {
                CollectFields(part.Value, used);
            }
        }
    }

    private static void CollectFields(IReadOnlyList<IrStmt> statements, HashSet<FieldModel> used)
    {
        foreach (IrStmt s in statements)
        {
            switch (s)
            {
                case IrLet l: CollectFields(l.Value, used); break;
                case IrAssignLocal a: CollectFields(a.Value, used); break;
                case IrRegWrite w:
                    if (w.Index is not null)
                    {
                        CollectFields(w.Index, used);
                    }

                    CollectFields(w.Value, used);
                    break;
                case IrIf f:
                    CollectFields(f.Condition, used);
                    CollectFields(f.Then, used);
                    CollectFields(f.Else, used);
                    break;
                case IrEffect e: CollectFields(e.Call, used); break;
                case IrRaise { Value: not null } r: CollectFields(r.Value, used); break;
                case IrReturn { Value: not null } r: CollectFields(r.Value, used); break;
            }
        }
    }

    private static void CollectFields(IrExpr e, HashSet<FieldModel> used)
    {
        switch (e)
        {
            case IrField f: used.Add(f.Field); break;
            case IrRegRead { Index: not null } r: CollectFields(r.Index, used); break;
            case IrUnary u: CollectFields(u.Operand, used); break;
            case IrBinary b: CollectFields(b.Left, used); CollectFields(b.Right, used); break;
            case IrConvert c: CollectFields(c.Operand, used); break;
            case IrSlice s: CollectFields(s.Operand, used); break;
            case IrConditional c: CollectFields(c.Condition, used); CollectFields(c.WhenTrue, used); CollectFields(c.WhenFalse, used); break;
            case IrBuiltinCall b:
                foreach (IrExpr a in b.Arguments)
                {
                    CollectFields(a, used);
                }

                break;
            case IrFuncCall f:
                foreach (IrExpr a in f.Arguments)
                {
                    CollectFields(a, used);
                }

                break;
        }
    }

    private static string Quoted(IEnumerable<string> values) => string.Join(", ", values.Select(v => "\"" + Escape(v) + "\""));

    private static string Escape(string s) => s.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\t", "\\t");

    private static string Render(string name, Dictionary<string, object?> common, Dictionary<string, object?> model)
    {
        Template template = GetTemplate(name);
        var scriptObject = new Scriban.Runtime.ScriptObject();
        foreach (KeyValuePair<string, object?> kv in common.Concat(model))
        {
            scriptObject[kv.Key] = kv.Value;
        }

        var context = new TemplateContext { StrictVariables = true, LoopLimit = 0 };
        context.PushGlobal(scriptObject);
        return template.Render(context);
    }

    private static Template GetTemplate(string name)
    {
        lock (Templates)
        {
            if (!Templates.TryGetValue(name, out Template? template))
            {
                using Stream stream = typeof(IsaEmitter).GetTypeInfo().Assembly.GetManifestResourceStream(name + ".scriban")
                    ?? throw new InvalidDataException($"template {name}.scriban is not embedded");
                using var reader = new StreamReader(stream);
                template = Template.Parse(reader.ReadToEnd(), name + ".scriban");
                if (template.HasErrors)
                {
                    throw new InvalidDataException(string.Join("; ", template.Messages));
                }

                Templates[name] = template;
            }

            return template;
        }
    }
}
