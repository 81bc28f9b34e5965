using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Isa.Generators.Semantics;
using Isa.Generators.Syntax;

namespace Isa.Generators.Model;

/// <summary>
/// Builds the checked model of one ISA from its declaration and those of the ISAs it extends,
/// base first: a derived ISA adds members, replaces them with <c>override</c> and drops
/// instructions with <c>remove</c>.
/// </summary>
internal sealed class ModelBuilder
{
    private readonly List<SpecDiagnostic> _diagnostics;
    private readonly Dictionary<string, FormatDecl> _formats = new();
    private readonly Dictionary<string, FunctionModel> _functions = new();
    private readonly List<(FunctionModel Model, FuncDecl Decl)> _functionBodies = new();
    private readonly List<(InsnModel Model, InsnDecl Decl)> _insnDecls = new();
    private readonly List<AliasDecl> _aliases = new();
    private readonly List<TestDecl> _tests = new();
    private readonly List<(X64TemplateDecl Decl, int Level)> _templates = new();
    private int _level;
    private IsaModel _isa = null!;
    private Binder _binder = null!;

    private ModelBuilder(List<SpecDiagnostic> diagnostics) => _diagnostics = diagnostics;

    /// <summary>Builds <paramref name="chain"/>'s last ISA; the earlier ones are its bases, outermost first.</summary>
    public static IsaModel Build(IReadOnlyList<IsaDecl> chain, List<SpecDiagnostic> diagnostics)
    {
        var builder = new ModelBuilder(diagnostics);
        return builder.BuildChain(chain);
    }

    private IsaModel BuildChain(IReadOnlyList<IsaDecl> chain)
    {
        IsaDecl self = chain[chain.Count - 1];
        _isa = new IsaModel(self.Name, self.Span);
        _binder = new Binder(_isa, _functions, _diagnostics);
        foreach (IsaDecl decl in chain)
        {
            _isa.SourcePaths.Add(decl.Span.Path);
            foreach (Member member in decl.Members)
            {
                Declare(member);
            }

            _level++;
        }

        if (_isa.Variants.Count == 0)
        {
            Report(Diagnostics.BadSetting, self.Span, $"isa {self.Name} needs an 'endian' setting, e.g. endian little \"{self.Name}\";");
        }

        foreach ((FunctionModel model, FuncDecl decl) in _functionBodies)
        {
            model.Body = _binder.BindFunction(model, decl.Body);
        }

        foreach ((InsnModel model, InsnDecl decl) in _insnDecls)
        {
            if (_isa.Instructions.Contains(model))
            {
                BindInstruction(model, decl);
            }
        }

        foreach (AliasDecl alias in _aliases)
        {
            BindAlias(alias);
        }

        CheckOverlaps();
        BindTemplates();
        foreach (TestDecl test in _tests)
        {
            BuildTest(test);
        }

        return _isa;
    }

    private void Declare(Member member)
    {
        switch (member)
        {
            case SettingDecl setting:
                ApplySetting(setting);
                break;
            case RegisterDecl register:
                DeclareRegister(register);
                break;
            case FieldDecl field:
                DeclareField(field);
                break;
            case NamesDecl names:
                DeclareNames(names);
                break;
            case FormatDecl format:
                if (_formats.ContainsKey(format.Name))
                {
                    Report(Diagnostics.Duplicate, format.Span, $"format '{format.Name}' is already defined");
                }

                _formats[format.Name] = format;
                break;
            case FuncDecl func:
                DeclareFunction(func);
                break;
            case InsnDecl insn:
                DeclareInstruction(insn);
                break;
            case AliasDecl alias:
                _aliases.Add(alias);
                break;
            case TestDecl test:
                _tests.Add(test);
                break;
            case X64TemplateDecl template:
                // A derived ISA's template replaces its base's.
                _templates.RemoveAll(t => t.Decl.Insn.Text == template.Insn.Text && t.Level < _level);
                _templates.Add((template, _level));
                break;
            case RemoveDecl remove:
                foreach (Token name in remove.Names)
                {
                    int removed = _isa.Instructions.RemoveAll(i => i.Name == name.Text);
                    if (removed == 0)
                    {
                        Report(Diagnostics.BadExtension, name.Span, $"cannot remove '{name.Text}': no such instruction");
                    }

                    _aliases.RemoveAll(a => a.InsnName == name.Text);
                    _templates.RemoveAll(t => t.Decl.Insn.Text == name.Text);
                    _tests.RemoveAll(t => t.Instructions.Any(i => i.Name == name.Text));
                }

                break;
        }
    }

    private void ApplySetting(SettingDecl setting)
    {
        List<Token> values = setting.Values;
        switch (setting.Key)
        {
            case "description" when values.Count == 1 && values[0].Kind == TokenKind.String:
                _isa.Description = values[0].Text;
                return;
            case "endian":
                _isa.Variants.Clear();
                for (int i = 0; i + 1 < values.Count; i += 2)
                {
                    if ((values[i].Text != "little" && values[i].Text != "big") || values[i + 1].Kind != TokenKind.String)
                    {
                        break;
                    }

                    _isa.Variants.Add(new EndianVariant(values[i].Text == "big", values[i + 1].Text));
                }

                if (values.Count == 0 || values.Count % 2 != 0 || _isa.Variants.Count * 2 != values.Count)
                {
                    Report(Diagnostics.BadSetting, setting.Span, "write endian as: endian little \"name\"[, big \"name\"];");
                }
                else if (_isa.Variants.FirstOrDefault(v => !Microsoft.CodeAnalysis.CSharp.SyntaxFacts.IsValidIdentifier(Naming.Pascal(v.Name))
                    || _isa.Variants.Count(w => Naming.Pascal(w.Name) == Naming.Pascal(v.Name)) > 1) is { } bad)
                {
                    // Each variant is a generated C# member named after it (mips32el → Mips32el).
                    Report(Diagnostics.BadSetting, setting.Span, $"byte-order name \"{bad.Name}\" must start with a letter, be letters, digits, '_', '.' or '-', and differ from the other's");
                }

                return;
            case "elf_machine" when TryInt(values, out int machine):
                _isa.ElfMachine = machine;
                return;
            case "insn_bits" when TryInt(values, out int bits) && bits is 16 or 32 or 64:
                _isa.InsnBits = bits;
                return;
            case "word_bits" when TryInt(values, out int word) && word is 32 or 64:
                _isa.WordBits = word;
                return;
            case "delay_slot" when values.Count == 0:
                _isa.DelaySlot = true;
                return;
            case "linux_abi" when values.Count == 1 && values[0].Kind == TokenKind.Identifier:
                _isa.LinuxAbi = values[0].Text == "none" ? null : values[0].Text;   // none: a derived ISA drops its base's
                return;
            case "nan" when values.Count == 1 && values[0].Text is "ieee2008" or "legacy_mips":
                _isa.LegacyMipsNaN = values[0].Text == "legacy_mips";
                return;
            case "description" or "endian" or "elf_machine" or "insn_bits" or "word_bits" or "delay_slot" or "nan" or "linux_abi":
                Report(Diagnostics.BadSetting, setting.Span, $"invalid value for '{setting.Key}'");
                return;
            default:
                Report(Diagnostics.BadSetting, setting.Span, $"unknown setting '{setting.Key}' (expected description, endian, elf_machine, insn_bits, word_bits, delay_slot, nan, linux_abi, or a declaration)");
                return;
        }
    }

    private static bool TryInt(List<Token> values, out int value)
    {
        value = 0;
        return values.Count == 1 && values[0].Kind == TokenKind.Number && Numbers.TryParse(values[0].Text, out ulong v) && v <= int.MaxValue && (value = (int)v) >= 0;
    }

    private void DeclareRegister(RegisterDecl decl)
    {
        if (_isa.Registers.Any(r => r.Name == decl.Name) || decl.Name == "pc")
        {
            Report(Diagnostics.Duplicate, decl.Span, $"register '{decl.Name}' is already defined");
            return;
        }

        IrType? type = IrType.Parse(decl.Type.Name);
        if (type is null || !(type.Value.IsInt || type.Value.IsFloat))
        {
            Report(Diagnostics.UnknownName, decl.Type.Span, $"a register's type must be an integer or float type, not '{decl.Type.Name}'");
            return;
        }

        if (decl.Count < 1 || decl.Count > 4096)
        {
            Report(Diagnostics.BadSetting, decl.Span, $"register '{decl.Name}' must have 1 to 4096 elements");
            return;
        }

        var names = new List<string>();
        if (decl.NamePattern is { } pattern)
        {
            for (int i = 0; i < decl.Count; i++)
            {
                names.Add(pattern.Replace("{}", i.ToString(CultureInfo.InvariantCulture)));
            }
        }
        else if (decl.Names.Count > 0)
        {
            if (decl.Names.Count != decl.Count)
            {
                Report(Diagnostics.BadSetting, decl.Span, $"register '{decl.Name}' has {decl.Count} elements but {decl.Names.Count} names");
            }

            names.AddRange(decl.Names);
        }

        while (names.Count < decl.Count)
        {
            names.Add(decl.Count == 1 ? decl.Name : decl.Name + names.Count.ToString(CultureInfo.InvariantCulture));
        }

        foreach (int h in decl.Hardwired.Where(h => h >= decl.Count))
        {
            Report(Diagnostics.BadSetting, decl.Span, $"hardwired element {h} is outside {decl.Name}[{decl.Count}]");
        }

        _isa.Registers.Add(new RegisterModel(decl.Name, decl.Count, type.Value, names, decl.Hardwired.Where(h => h < decl.Count).ToList(), decl.Span));
    }

    private void DeclareNames(NamesDecl decl)
    {
        if (_isa.Registers.Any(r => r.Name == decl.Name) || decl.Name is "x" or "d" or "u" or "addr")
        {
            Report(Diagnostics.Duplicate, decl.Span, $"names '{decl.Name}' would hide a register file or operand format of that name");
            return;
        }

        var entries = new List<KeyValuePair<ulong, string>>();
        foreach (NameEntry entry in decl.Entries)
        {
            if (entries.Any(e => e.Key == entry.Value))
            {
                Report(Diagnostics.Duplicate, entry.Span, $"names '{decl.Name}' already has a name for {entry.Value}");
                continue;
            }

            entries.Add(new KeyValuePair<ulong, string>(entry.Value, entry.Name));
        }

        _isa.NameTables.RemoveAll(t => t.Name == decl.Name);   // a derived ISA's table replaces its base's
        _isa.NameTables.Add(new NameTableModel(decl.Name, entries, decl.Span));
    }

    private void DeclareField(FieldDecl decl)
    {
        if (_isa.Fields.Any(f => f.Name == decl.Name))
        {
            Report(Diagnostics.Duplicate, decl.Span, $"field '{decl.Name}' is already defined");
            return;
        }

        foreach (FieldPart part in decl.Parts.Where(p => p.Literal is null))
        {
            if (part.High < part.Low || part.High >= _isa.InsnBits)
            {
                Report(Diagnostics.FieldRange, decl.Span, $"bits [{part.High}:{part.Low}] of field '{decl.Name}' do not fit a {_isa.InsnBits}-bit instruction");
                return;
            }
        }

        RegisterModel? file = null;
        if (decl.RegisterFile is { } fileName)
        {
            file = _isa.Registers.FirstOrDefault(r => r.Name == fileName);
            if (file is null)
            {
                Report(Diagnostics.UnknownName, decl.Span, $"field '{decl.Name}' names unknown register file '{fileName}'");
            }
        }

        var field = new FieldModel(decl.Name, decl.Parts, decl.Signed, file, decl.Span);
        if (field.Type.Bits > 64)
        {
            Report(Diagnostics.FieldRange, decl.Span, $"field '{decl.Name}' is wider than 64 bits");
            return;
        }

        if (file is not null && (field.Type.Bits >= 31 || (1L << field.Type.Bits) > file.Count))
        {
            Report(Diagnostics.FieldRange, decl.Span, $"field '{decl.Name}' is {field.Type.Bits} bits wide, too wide to index {file.Name}[{file.Count}]");
        }

        _isa.Fields.Add(field);
    }

    private void DeclareFunction(FuncDecl decl)
    {
        if (_functions.ContainsKey(decl.Name) && !decl.IsOverride)
        {
            Report(Diagnostics.Duplicate, decl.Span, $"function '{decl.Name}' is already defined (write 'override func' to replace it)");
            return;
        }

        var parameters = new List<Local>();
        foreach (Parameter p in decl.Parameters)
        {
            IrType? t = IrType.Parse(p.Type.Name);
            if (t is null)
            {
                Report(Diagnostics.UnknownName, p.Type.Span, $"unknown type '{p.Type.Name}'");
            }

            parameters.Add(new Local(p.Name, t ?? IrType.Error, 0));
        }

        IrType returnType = IrType.Void;
        if (decl.ReturnType is not null)
        {
            returnType = IrType.Parse(decl.ReturnType.Name) ?? IrType.Error;
            if (returnType.Kind == TypeKind.Error)
            {
                Report(Diagnostics.UnknownName, decl.ReturnType.Span, $"unknown type '{decl.ReturnType.Name}'");
            }
        }

        var model = new FunctionModel(decl.Name, parameters, returnType, decl.Span);
        if (_functions.TryGetValue(decl.Name, out FunctionModel? old))
        {
            _isa.Functions.Remove(old);
            _functionBodies.RemoveAll(f => f.Model == old);
        }

        _functions[decl.Name] = model;
        _isa.Functions.Add(model);
        _functionBodies.Add((model, decl));
    }

    private void DeclareInstruction(InsnDecl decl)
    {
        int existing = _isa.Instructions.FindIndex(i => i.Name == decl.Name);
        if (existing >= 0 && !decl.IsOverride)
        {
            Report(Diagnostics.Duplicate, decl.Span, $"instruction '{decl.Name}' is already defined (write 'override insn' to replace it)");
            return;
        }

        if (_isa.Instructions.FirstOrDefault(i => i.Name != decl.Name && i.CSharpName == Naming.Identifier(decl.Name)) is { } twin)
        {
            Report(Diagnostics.Duplicate, decl.Span, $"instruction '{decl.Name}' would have the same C# name ({twin.CSharpName}) as '{twin.Name}'");
            return;
        }

        if (existing < 0 && decl.IsOverride)
        {
            Report(Diagnostics.BadExtension, decl.Span, $"'override insn {decl.Name}' replaces nothing: no base instruction has that name");
        }

        var insn = new InsnModel(decl.Name, decl.Span);
        if (!BuildEncoding(insn, decl.Encoding))
        {
            return;
        }

        if (existing >= 0)
        {
            // New semantics: a base ISA's template was written for the old ones.
            _templates.RemoveAll(t => t.Decl.Insn.Text == decl.Name && t.Level < _level);
            _isa.Instructions[existing] = insn;
        }
        else
        {
            _isa.Instructions.Add(insn);
        }

        _insnDecls.Add((insn, decl));
    }

    private bool BuildEncoding(InsnModel insn, Encoding encoding)
    {
        List<PatternItem> pattern;
        if (encoding.Pattern is not null)
        {
            pattern = encoding.Pattern;
        }
        else if (_formats.TryGetValue(encoding.FormatName!, out FormatDecl? format))
        {
            pattern = format.Pattern;
        }
        else
        {
            Report(Diagnostics.UnknownName, encoding.Span, $"unknown format '{encoding.FormatName}'");
            return false;
        }

        int bit = _isa.InsnBits;
        var patternFields = new List<FieldModel>();
        foreach (PatternItem item in pattern)
        {
            switch (item)
            {
                case FixedBits fixedBits:
                    foreach (char c in fixedBits.Bits)
                    {
                        bit--;
                        if (bit >= 0)
                        {
                            insn.Mask |= 1UL << bit;
                            insn.Match |= (ulong)(c - '0') << bit;
                        }
                    }

                    break;
                case AnyBits any:
                    bit -= any.Count;
                    break;
                case FieldItem fieldItem:
                    {
                        FieldModel? field = _isa.Fields.FirstOrDefault(f => f.Name == fieldItem.Field);
                        if (field is null)
                        {
                            Report(Diagnostics.UnknownName, fieldItem.Span, $"unknown field '{fieldItem.Field}' in encoding of '{insn.Name}'");
                            return false;
                        }

                        if (!field.IsContiguous)
                        {
                            Report(Diagnostics.EncodingShape, fieldItem.Span, $"field '{field.Name}' is not one bit range: write its bits as '.' in the pattern");
                            return false;
                        }

                        FieldPart part = field.Parts[0];
                        if (part.High != bit - 1)
                        {
                            Report(Diagnostics.EncodingShape, fieldItem.Span, $"field '{field.Name}' is bits [{part.High}:{part.Low}] but stands at bit {bit - 1} of the pattern of '{insn.Name}'");
                            return false;
                        }

                        bit -= part.Width;
                        patternFields.Add(field);
                        break;
                    }
            }
        }

        if (bit != 0)
        {
            int width = _isa.InsnBits - bit;
            Report(Diagnostics.EncodingShape, encoding.Span, $"the encoding of '{insn.Name}' is {width} bits long; instructions are {_isa.InsnBits} bits");
            return false;
        }

        insn.Operands.AddRange(patternFields);
        foreach (Binding binding in encoding.Bindings)
        {
            FieldModel? field = patternFields.FirstOrDefault(f => f.Name == binding.Field);
            if (field is null)
            {
                Report(Diagnostics.UnknownName, binding.Span, $"format '{encoding.FormatName}' has no field '{binding.Field}'");
                return false;
            }

            if (EvaluateConstant(binding.Value) is not { } value)
            {
                return false;
            }

            if (!Binder.FitsIn(value, field.Type))
            {
                Report(Diagnostics.FieldRange, binding.Span, $"{value} does not fit field '{field.Name}' ({field.Type.Bits} bits)");
                return false;
            }

            insn.Mask |= field.Mask;
            insn.Match |= Encoder.Insert(field, Binder.Truncate(value, field.Type));
            insn.BoundFields[field.Name] = value;
            insn.Operands.Remove(field);
        }

        return true;
    }

    private void BindInstruction(InsnModel insn, InsnDecl decl)
    {
        insn.Body = _binder.BindInstruction(insn, decl.Body);
        insn.Syntax = BindSyntax(insn, decl.Syntax, decl.SyntaxSpan);
        InstructionFacts.Compute(insn);
    }

    private void BindAlias(AliasDecl decl)
    {
        InsnModel? insn = _isa.Instructions.FirstOrDefault(i => i.Name == decl.InsnName);
        if (insn is null)
        {
            Report(Diagnostics.UnknownName, decl.Span, $"alias '{decl.Name}' names unknown instruction '{decl.InsnName}'");
            return;
        }

        IrExpr condition = _binder.BindOperandExpression(insn, decl.Condition, IrType.Bool);
        insn.Aliases.Add(new AliasModel(decl.Name, condition, BindSyntax(insn, decl.Syntax, decl.SyntaxSpan), decl.Span));
    }

    /// <summary>Parses <c>"lw {rt}, {imm}({rs})"</c>: text, and <c>{expression[:format]}</c> placeholders.</summary>
    private SyntaxTemplate BindSyntax(InsnModel insn, string syntax, SourceSpan span)
    {
        var parts = new List<SyntaxPart>();
        int pos = 0;
        while (pos < syntax.Length)
        {
            int open = syntax.IndexOf('{', pos);
            if (open < 0)
            {
                parts.Add(new SyntaxPart(syntax.Substring(pos), null, "", null));
                break;
            }

            if (open > pos)
            {
                parts.Add(new SyntaxPart(syntax.Substring(pos, open - pos), null, "", null));
            }

            int close = syntax.IndexOf('}', open);
            int reopen = syntax.IndexOf('{', open + 1);
            if (close < 0 || (reopen >= 0 && reopen < close))
            {
                Report(Diagnostics.BadSyntaxTemplate, span, $"unclosed '{{' in the syntax of '{insn.Name}'");
                break;
            }

            string content = syntax.Substring(open + 1, close - open - 1);
            string format = "";
            int colon = content.LastIndexOf(':');
            if (colon >= 0 && !content.Contains("?"))
            {
                format = content.Substring(colon + 1).Trim();
                content = content.Substring(0, colon);
            }

            // The string is one line and has no escapes: the placeholder is at a fixed offset from its quote.
            int offset = 1 + open + 1;
            var origin = new SourceSpan(span.Path, span.Start + offset, content.Length, span.Line, span.Column + offset, span.Line, span.Column + offset + content.Length);
            Expr? expr = Parser.ParseExpression(span.Path, content, span, origin, _diagnostics);
            if (expr is not null)
            {
                IrExpr value = _binder.BindOperandExpression(insn, expr, null);
                RegisterModel? register = null;
                NameTableModel? names = null;
                if (format.Length > 0 && format is not ("x" or "d" or "u" or "addr"))
                {
                    register = _isa.Registers.FirstOrDefault(r => r.Name == format);
                    names = register is null ? _isa.NameTables.FirstOrDefault(t => t.Name == format) : null;
                    if (register is null && names is null)
                    {
                        Report(Diagnostics.BadSyntaxTemplate, span, $"unknown operand format '{format}' (expected x, d, u, addr, a register file or a names table)");
                    }
                }
                else if (format.Length == 0 && value is IrField { Field.RegisterFile: { } file })
                {
                    register = file;
                }

                if (value.Type.IsLiteral)
                {
                    value = new IrConst(((IrConst)value).Value, IrType.U32);
                }

                if (!value.Type.IsInt)
                {
                    Report(Diagnostics.BadSyntaxTemplate, span, $"placeholder '{{{content}}}' of '{insn.Name}' is not an integer");
                }

                parts.Add(new SyntaxPart(null, value, format, register, names));
            }

            pos = close + 1;
        }

        return new SyntaxTemplate(parts);
    }

    private void BindTemplates()
    {
        var checker = new X64TemplateChecker(_isa, _diagnostics);
        foreach ((X64TemplateDecl decl, _) in _templates)
        {
            InsnModel? insn = _isa.Instructions.FirstOrDefault(i => i.Name == decl.Insn.Text);
            if (insn is null)
            {
                Report(Diagnostics.UnknownName, decl.Insn.Span, $"x64 template of unknown instruction '{decl.Insn.Text}'");
                continue;
            }

            if (insn.X64Template is not null)
            {
                Report(Diagnostics.Duplicate, decl.Insn.Span, $"instruction '{decl.Insn.Text}' already has an x64 template");
                continue;
            }

            insn.X64Template = checker.Check(decl, insn);
        }
    }

    private void CheckOverlaps()
    {
        List<InsnModel> all = _isa.Instructions;
        for (int i = 0; i < all.Count; i++)
        {
            for (int j = i + 1; j < all.Count; j++)
            {
                InsnModel a = all[i], b = all[j];
                ulong common = a.Mask & b.Mask;
                if (((a.Match ^ b.Match) & common) != 0)
                {
                    continue;
                }

                bool aMoreSpecific = (b.Mask & ~a.Mask) == 0 && a.Mask != b.Mask;
                bool bMoreSpecific = (a.Mask & ~b.Mask) == 0 && a.Mask != b.Mask;
                if (aMoreSpecific || bMoreSpecific)
                {
                    continue;
                }

                ulong word = a.Match | b.Match;
                string message = a.Mask == b.Mask
                    ? $"'{b.Name}' has the same encoding as '{a.Name}' ({a.Span})"
                    : $"encodings of '{b.Name}' and '{a.Name}' ({a.Span}) overlap: 0x{word:x8} matches both and neither is more specific";
                Report(Diagnostics.EncodingOverlap, b.Span, message);
            }
        }
    }

    private void BuildTest(TestDecl decl)
    {
        var words = new List<ulong>();
        foreach (TestInsn ti in decl.Instructions)
        {
            InsnModel? insn = _isa.Instructions.FirstOrDefault(i => i.Name == ti.Name);
            if (insn is null)
            {
                Report(Diagnostics.BadTest, ti.Span, $"test names unknown instruction '{ti.Name}'");
                return;
            }

            ulong word = insn.Match;
            foreach (Binding binding in ti.Bindings)
            {
                FieldModel? field = insn.Operands.FirstOrDefault(f => f.Name == binding.Field);
                if (field is null)
                {
                    Report(Diagnostics.BadTest, binding.Span, $"'{insn.Name}' has no operand field '{binding.Field}' (it has {string.Join(", ", insn.Operands.Select(o => o.Name))})");
                    return;
                }

                if (EvaluateConstant(binding.Value) is not { } value)
                {
                    return;
                }

                if (!Binder.FitsIn(value, field.Type) || !Encoder.CanInsert(field, Binder.Truncate(value, field.Type)))
                {
                    Report(Diagnostics.BadTest, binding.Span, $"{unchecked((long)value)} cannot be encoded in field '{field.Name}'");
                    return;
                }

                word |= Encoder.Insert(field, Binder.Truncate(value, field.Type));
            }

            words.Add(word);
        }

        var setup = new List<TestRegisterValue>();
        var memorySetup = new List<TestMemoryValue>();
        var expected = new List<TestRegisterValue>();
        var expectedMemory = new List<TestMemoryValue>();
        bool ok = ReadTestState(decl.Setup, setup, memorySetup) & ReadTestState(decl.Expect, expected, expectedMemory);
        if (decl.ExpectedTrap is { } trap && !TrapKindName.All.ContainsKey(trap))
        {
            Report(Diagnostics.BadTest, decl.Span, $"unknown trap kind '{trap}'");
            ok = false;
        }

        if (!ok)
        {
            return;
        }

        string name = string.Join("+", decl.Instructions.Select(i => i.Name));
        _isa.Tests.Add(new TestModel(
            name,
            decl.Span,
            words,
            decl.Steps ?? words.Count,
            setup,
            memorySetup,
            expected,
            expectedMemory,
            decl.ExpectedTrap is { } t ? TrapKindName.All[t].RuntimeName : null,
            decl.Disassembly));
    }

    private bool ReadTestState(List<Stmt> statements, List<TestRegisterValue> registers, List<TestMemoryValue> memory)
    {
        bool ok = true;
        foreach (Stmt stmt in statements)
        {
            if (stmt is not AssignStmt assign || EvaluateConstant(assign.Value) is not { } value)
            {
                if (stmt is not AssignStmt)
                {
                    Report(Diagnostics.BadTest, stmt.Span, "a test's state is written as assignments: gpr[1] = 5; mem32[0x1000] = 7; pc = 0x400010;");
                }

                ok = false;
                continue;
            }

            switch (assign.Target)
            {
                case NameExpr { Name: "pc" }:
                    registers.Add(new TestRegisterValue(-1, 0, Binder.Truncate(value, _isa.PcType)));
                    break;
                case NameExpr name when _isa.Registers.FindIndex(r => r.Name == name.Name && !r.IsArray) is int file and >= 0:
                    registers.Add(new TestRegisterValue(file, 0, Truncate(value, _isa.Registers[file])));
                    break;
                case IndexExpr { Target: NameExpr array } index when array.Name.StartsWith("mem", System.StringComparison.Ordinal)
                    && array.Name.Substring(3) is "8" or "16" or "32" or "64":
                    {
                        int bytes = int.Parse(array.Name.Substring(3), CultureInfo.InvariantCulture) / 8;
                        if (EvaluateConstant(index.Index) is not { } address)
                        {
                            ok = false;
                            break;
                        }

                        memory.Add(new TestMemoryValue(address, bytes, value & Bits.Mask(bytes * 8)));
                        break;
                    }

                case IndexExpr { Target: NameExpr array } index when _isa.Registers.FindIndex(r => r.Name == array.Name && r.IsArray) is int file and >= 0:
                    {
                        RegisterModel reg = _isa.Registers[file];
                        ulong? element = EvaluateConstant(index.Index);
                        if (element is null || element >= (ulong)reg.Count)
                        {
                            Report(Diagnostics.BadTest, index.Span, $"{reg.Name} has elements 0 to {reg.Count - 1}");
                            ok = false;
                            break;
                        }

                        registers.Add(new TestRegisterValue(file, (int)element.Value, Truncate(value, reg)));
                        break;
                    }

                default:
                    Report(Diagnostics.BadTest, assign.Target.Span, "a test can set registers, pc and memN[address]");
                    ok = false;
                    break;
            }
        }

        return ok;
    }

    private static ulong Truncate(ulong value, RegisterModel reg) => value & Bits.Mask(reg.Type.Bits);

    /// <summary>Evaluates a constant expression of a test or binding; <c>f32(1.5)</c> and <c>f64(..)</c> give IEEE bits.</summary>
    private ulong? EvaluateConstant(Expr expr)
    {
        switch (expr)
        {
            case NumberExpr n when !n.Text.Contains(".") && Numbers.TryParse(n.Text, out ulong v):
                return v;
            case UnaryExpr { Operator: "-" } u when EvaluateConstant(u.Operand) is { } v:
                return unchecked(0 - v);
            case UnaryExpr { Operator: "~" } u when EvaluateConstant(u.Operand) is { } v:
                return ~v;
            case BinaryExpr b when EvaluateConstant(b.Left) is { } l && EvaluateConstant(b.Right) is { } r:
                switch (b.Operator)
                {
                    case "+": return unchecked(l + r);
                    case "-": return unchecked(l - r);
                    case "*": return unchecked(l * r);
                    case "|": return l | r;
                    case "&": return l & r;
                    case "^": return l ^ r;
                    case "<<": return l << (int)r;
                    case ">>": return l >> (int)r;
                }

                break;
            case CallExpr { Name: "f32" or "f64", Arguments.Count: 1 } call when FloatLiteral(call.Arguments[0]) is { } d:
                return call.Name == "f32"
                    ? (ulong)(uint)System.BitConverter.ToInt32(System.BitConverter.GetBytes((float)d), 0)
                    : (ulong)System.BitConverter.DoubleToInt64Bits(d);
        }

        Report(Diagnostics.BadTest, expr.Span, "expected a constant (a number, or f32(1.5) / f64(-0.0) for IEEE bits)");
        return null;
    }

    private static double? FloatLiteral(Expr expr) => expr switch
    {
        NumberExpr n when double.TryParse(n.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) => d,
        NumberExpr n when Numbers.TryParse(n.Text, out ulong v) => v,
        NameExpr { Name: "inf" } => double.PositiveInfinity,
        NameExpr { Name: "nan" } => double.NaN,
        UnaryExpr { Operator: "-" } u when FloatLiteral(u.Operand) is { } d => -d,
        _ => null,
    };

    private void Report(Microsoft.CodeAnalysis.DiagnosticDescriptor descriptor, SourceSpan span, string message)
        => _diagnostics.Add(descriptor.At(span, message));
}
