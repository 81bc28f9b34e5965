using System.Linq;
using Isa.Generators.Model;

namespace Isa.Generators.Emit;

/// <summary>
/// Renders an instruction's checked x64 template: a static <c>HostTemplate</c> (one line per host
/// instruction, with the spec line as a comment) and the call that uses it when the emitter can.
/// </summary>
internal static class X64TemplateEmitter
{
    public static string FieldName(InsnModel insn) => "X64_" + insn.CSharpName;

    /// <summary>The Iced the codes come from: the backend compares it with its own, which is cheaper than checking each code's name.</summary>
    private static readonly string EncoderVersion = typeof(Iced.Intel.Code).Assembly.GetName().Version?.ToString() ?? "unknown";

    public static string Declaration(IsaModel isa, InsnModel insn)
    {
        X64TemplateModel t = insn.X64Template!;
        var w = new CodeWriter(1);
        string features = t.Features.Count == 0 ? "HostFeatures.None" : string.Join(" | ", t.Features.Select(f => "HostFeatures." + f));
        string sources = "[" + string.Join(", ", t.OutputSources) + "]";
        w.Line($"// {t.Span}: the spec's x64 template of {insn.Name}");
        w.Line($"private static readonly HostTemplate {FieldName(insn)} = new(\"{insn.Name}\", HostIsa.X64, {features}, {t.Inputs.Count}, {t.Outputs.Count}, {sources}, 0b{System.Convert.ToString(t.CanonicalOutputs, 2)},");
        w.Line($"    [{string.Join(", ", t.FirstWrites)}], [{string.Join(", ", t.LastReads)}], {t.Temps},");
        w.Line("[");
        foreach (X64InstructionModel i in t.Instructions)
        {
            string[] ops = i.Operands.Concat(Enumerable.Repeat("default", 3 - i.Operands.Count)).ToArray();
            w.Line($"    new({i.Code}, \"{i.CodeName}\", {string.Join(", ", ops)}), // {i.Text}");
        }

        w.Line($"], \"{EncoderVersion}\");");
        return w.ToString().TrimEnd('\n');
    }

    /// <summary>The statements that run the template and return when the emitter supports it.</summary>
    public static void Use(CodeWriter w, IsaModel isa, InsnModel insn)
    {
        X64TemplateModel t = insn.X64Template!;
        string inputs = string.Join(", ", t.Inputs.Select(v => Input(isa, v)));
        string outputs = string.Join(", ", t.Outputs.Select(v => $"new JitRegister({isa.Registers.IndexOf(v.Register!)}, {(v.Index is null ? "0" : $"(int){v.Index.Name}")})"));
        w.Open($"if (jit.Supports({FieldName(insn)}))");
        w.Line($"jit.Template({FieldName(insn)}, [{inputs}], [{outputs}]);");
        w.Line("return true;");
        w.Close();
        w.Line();
    }

    private static string Input(IsaModel isa, TemplateValue v)
    {
        if (v.Immediate is { } f)
        {
            return $"jit.Constant(unchecked((ulong){f.Name}), {JitLowering.Type(f.Type)})";
        }

        string index = v.Index is { } i ? $"jit.Constant(unchecked((ulong){i.Name}), {JitLowering.Type(i.Type)})" : "jit.Constant(0, JitType.U32)";
        return $"jit.ReadRegister({isa.Registers.IndexOf(v.Register!)}, {index})";
    }
}
