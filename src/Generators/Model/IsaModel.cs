using System.Collections.Generic;
using Isa.Generators.Semantics;
using Isa.Generators.Syntax;

namespace Isa.Generators.Model;

// The checked model of one ISA, with its base ISA merged in: what the emitters render.

internal sealed class IsaModel
{
    public IsaModel(string name, SourceSpan span)
    {
        Name = name;
        Span = span;
    }

    public string Name { get; }

    public SourceSpan Span { get; }

    public string Description { get; set; } = "";

    /// <summary>The byte orders generated, each with the name users select it by.</summary>
    public List<EndianVariant> Variants { get; } = new();

    public int ElfMachine { get; set; }

    public int InsnBits { get; set; } = 32;

    /// <summary>Width of addresses and the program counter.</summary>
    public int WordBits { get; set; } = 32;

    /// <summary>Taken branches take effect after one more instruction (the delay slot).</summary>
    public bool DelaySlot { get; set; }

    /// <summary>The Linux ABI the runtime uses for this ISA's programs (<c>mips_o32</c>), if any.</summary>
    public string? LinuxAbi { get; set; }

    /// <summary>Legacy MIPS NaNs: a set top fraction bit means signaling (IEEE 2008 otherwise).</summary>
    public bool LegacyMipsNaN { get; set; }

    public List<RegisterModel> Registers { get; } = new();

    public List<FieldModel> Fields { get; } = new();

    /// <summary><c>names</c> tables: operand formats that print values as names.</summary>
    public List<NameTableModel> NameTables { get; } = new();

    public List<InsnModel> Instructions { get; } = new();

    public List<FunctionModel> Functions { get; } = new();

    public List<TestModel> Tests { get; } = new();

    /// <summary>The spec files this model was built from, base ISA first.</summary>
    public List<string> SourcePaths { get; } = new();

    public IrType PcType => IrType.UInt(WordBits);

    /// <summary>A C# identifier stem: <c>mips32</c> becomes <c>Mips32</c>.</summary>
    public string TypeStem => Naming.Pascal(Name);
}

internal sealed record EndianVariant(bool BigEndian, string Name);

internal sealed class RegisterModel
{
    public RegisterModel(string name, int count, IrType type, IReadOnlyList<string> elementNames, IReadOnlyList<int> hardwired, SourceSpan span)
    {
        Name = name;
        Count = count;
        Type = type;
        ElementNames = elementNames;
        Hardwired = hardwired;
        Span = span;
    }

    public string Name { get; }

    public int Count { get; }

    public bool IsArray => Count > 1;

    public IrType Type { get; }

    public IReadOnlyList<string> ElementNames { get; }

    /// <summary>Elements that always read as zero and ignore writes (MIPS <c>$zero</c>).</summary>
    public IReadOnlyList<int> Hardwired { get; }

    public SourceSpan Span { get; }

    public string CSharpName => Naming.Pascal(Name);
}

/// <summary>A <c>names</c> table: the text printed for some values of an operand; others print in hex.</summary>
internal sealed record NameTableModel(string Name, IReadOnlyList<KeyValuePair<ulong, string>> Entries, SourceSpan Span)
{
    public string CSharpName => Naming.Pascal(Name);
}

internal sealed class FieldModel
{
    public FieldModel(string name, IReadOnlyList<FieldPart> parts, bool signed, RegisterModel? registerFile, SourceSpan span)
    {
        Name = name;
        Parts = parts;
        RegisterFile = registerFile;
        Span = span;
        int width = 0;
        foreach (FieldPart part in parts)
        {
            width += part.Width;
        }

        Type = new IrType(TypeKind.Int, width, signed);
    }

    public string Name { get; }

    /// <summary>The bits, most significant first; literal parts are constant bits (RISC-V's implied zero).</summary>
    public IReadOnlyList<FieldPart> Parts { get; }

    public RegisterModel? RegisterFile { get; }

    public IrType Type { get; }

    public SourceSpan Span { get; }

    /// <summary>The instruction bits the field occupies.</summary>
    public ulong Mask
    {
        get
        {
            ulong mask = 0;
            foreach (FieldPart part in Parts)
            {
                if (part.Literal is null)
                {
                    mask |= Bits.Mask(part.High - part.Low + 1) << part.Low;
                }
            }

            return mask;
        }
    }

    /// <summary>A contiguous field occupies one bit range; only those may be named in a pattern.</summary>
    public bool IsContiguous => Parts.Count == 1 && Parts[0].Literal is null;
}

internal sealed class InsnModel
{
    public InsnModel(string name, SourceSpan span)
    {
        Name = name;
        Span = span;
    }

    public string Name { get; }

    public SourceSpan Span { get; }

    public ulong Mask { get; set; }

    public ulong Match { get; set; }

    /// <summary>Fields the instruction's pattern leaves free, in pattern order.</summary>
    public List<FieldModel> Operands { get; } = new();

    /// <summary>Fields bound to constants by a format instantiation.</summary>
    public Dictionary<string, ulong> BoundFields { get; } = new();

    public SyntaxTemplate Syntax { get; set; } = SyntaxTemplate.Empty;

    public IReadOnlyList<IrStmt> Body { get; set; } = new List<IrStmt>();

    public List<AliasModel> Aliases { get; } = new();

    public List<string> Flags { get; } = new();

    public List<string> Reads { get; } = new();

    public List<string> Writes { get; } = new();

    /// <summary>The spec's hand-written x64 template, if it has one (checked).</summary>
    public X64TemplateModel? X64Template { get; set; }

    public string CSharpName => Naming.Identifier(Name);
}

internal sealed record AliasModel(string Name, IrExpr Condition, SyntaxTemplate Syntax, SourceSpan Span);

internal sealed class FunctionModel
{
    public FunctionModel(string name, IReadOnlyList<Local> parameters, IrType returnType, SourceSpan span)
    {
        Name = name;
        Parameters = parameters;
        ReturnType = returnType;
        Span = span;
    }

    public string Name { get; }

    public IReadOnlyList<Local> Parameters { get; }

    public IrType ReturnType { get; }

    public SourceSpan Span { get; }

    public IReadOnlyList<IrStmt> Body { get; set; } = new List<IrStmt>();

    public string CSharpName => "Fn" + Naming.Pascal(Name);
}

/// <summary>An assembly syntax: literal text and placeholders that format an expression over the fields.</summary>
internal sealed record SyntaxTemplate(IReadOnlyList<SyntaxPart> Parts)
{
    public static readonly SyntaxTemplate Empty = new(new List<SyntaxPart>());
}

internal sealed record SyntaxPart(string? Text, IrExpr? Value, string Format, RegisterModel? Register, NameTableModel? Names = null);

internal sealed record TestModel(
    string Name,
    SourceSpan Span,
    IReadOnlyList<ulong> Words,
    int Steps,
    IReadOnlyList<TestRegisterValue> Setup,
    IReadOnlyList<TestMemoryValue> MemorySetup,
    IReadOnlyList<TestRegisterValue> Expected,
    IReadOnlyList<TestMemoryValue> ExpectedMemory,
    string? ExpectedTrap,
    string? Disassembly);

/// <summary>A register value in a test; <see cref="File"/> -1 is the PC.</summary>
internal sealed record TestRegisterValue(int File, int Index, ulong Value);

internal sealed record TestMemoryValue(ulong Address, int Bytes, ulong Value);
