using System.Collections.Generic;
using Isa.Generators.Syntax;

namespace Isa.Generators.Model;

/// <summary>
/// A checked x64 template of one instruction: its placeholders resolved to the values the generated
/// code passes (inputs), the guest registers it writes (outputs) and scratch registers (temps), and
/// each line resolved to one Iced instruction code.
/// </summary>
internal sealed class X64TemplateModel
{
    public X64TemplateModel(InsnModel insn, SourceSpan span)
    {
        Insn = insn;
        Span = span;
    }

    public InsnModel Insn { get; }

    public SourceSpan Span { get; }

    public List<TemplateValue> Inputs { get; } = new();

    public List<TemplateValue> Outputs { get; } = new();

    /// <summary>Per output: the input that preloads it, or -1.</summary>
    public List<int> OutputSources { get; } = new();

    /// <summary>Bit i: output i's last write is at its register's full width (it ends canonical).</summary>
    public int CanonicalOutputs { get; set; }

    /// <summary>Per output: the index of the first instruction writing it.</summary>
    public List<int> FirstWrites { get; } = new();

    /// <summary>Per input: the index of the last instruction reading it as a register, or -1.</summary>
    public List<int> LastReads { get; } = new();

    public int Temps { get; set; }

    /// <summary>Names of the runtime's <c>HostFeatures</c> flags the template needs.</summary>
    public SortedSet<string> Features { get; } = new();

    public List<X64InstructionModel> Instructions { get; } = new();
}

/// <summary>
/// A value a template names: a guest register (<paramref name="Register"/>, indexed by the field
/// <paramref name="Index"/> or a scalar), or a field's value used as an immediate.
/// </summary>
internal sealed record TemplateValue(RegisterModel? Register, FieldModel? Index, FieldModel? Immediate);

/// <summary>One template line as an Iced <c>Code</c> and operands (C# expressions of <c>HostOperand</c>).</summary>
internal sealed record X64InstructionModel(int Code, string CodeName, IReadOnlyList<string> Operands, string Text);
