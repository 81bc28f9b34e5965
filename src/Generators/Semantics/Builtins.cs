using System.Collections.Generic;
using System.Linq;

namespace Isa.Generators.Semantics;

/// <summary>
/// A builtin function of the semantics language: its typing rule and what it tells the
/// instruction metadata. Each lowering (interpreter C#, JIT x64) renders builtins by name.
/// </summary>
internal sealed class Builtin
{
    private Builtin(string name, string[] parameters, string result, string? flag)
    {
        Name = name;
        Parameters = parameters;
        Result = result;
        Flags = flag is null ? new string[0] : flag.Split('|');
    }

    public string Name { get; }

    /// <summary>
    /// Parameter kinds: a type name (<c>u32</c>), <c>addr</c> (the ISA's address type), <c>int</c>
    /// (any integer), <c>T</c> (any integer, all T the same) or <c>F</c> (f32 or f64, all F the same).
    /// </summary>
    public IReadOnlyList<string> Parameters { get; }

    /// <summary>A type name, <c>void</c>, <c>T</c>, <c>F</c>, or <c>bitsF</c> (the unsigned type as wide as F).</summary>
    public string Result { get; }

    /// <summary>The instruction flags that using this builtin implies (Load, Store, Jump, Likely, FloatingPoint).</summary>
    public IReadOnlyList<string> Flags { get; }

    public static readonly IReadOnlyDictionary<string, Builtin> All = new[]
    {
        new Builtin("load8", new[] { "addr" }, "u8", "Load"),
        new Builtin("load16", new[] { "addr" }, "u16", "Load"),
        new Builtin("load32", new[] { "addr" }, "u32", "Load"),
        new Builtin("load64", new[] { "addr" }, "u64", "Load"),
        new Builtin("store8", new[] { "addr", "int" }, "void", "Store"),
        new Builtin("store16", new[] { "addr", "int" }, "void", "Store"),
        new Builtin("store32", new[] { "addr", "int" }, "void", "Store"),
        new Builtin("store64", new[] { "addr", "int" }, "void", "Store"),
        new Builtin("cas32", new[] { "addr", "u32", "u32" }, "bool", "Load|Store"),
        new Builtin("jump", new[] { "addr" }, "void", "Jump"),
        new Builtin("nullify_delay_slot", new string[0], "void", "Likely"),
        new Builtin("big_endian", new string[0], "bool", null),
        new Builtin("clz", new[] { "T" }, "T", null),
        new Builtin("ctz", new[] { "T" }, "T", null),
        new Builtin("popcount", new[] { "T" }, "T", null),
        new Builtin("bitrev", new[] { "T" }, "T", null),
        new Builtin("byteswap", new[] { "T" }, "T", null),
        new Builtin("rotr", new[] { "T", "int" }, "T", null),
        new Builtin("rotl", new[] { "T", "int" }, "T", null),
        new Builtin("f32_from_bits", new[] { "u32" }, "f32", "FloatingPoint"),
        new Builtin("f64_from_bits", new[] { "u64" }, "f64", "FloatingPoint"),
        new Builtin("bits", new[] { "F" }, "bitsF", "FloatingPoint"),
        new Builtin("fadd", new[] { "F", "F", "u32" }, "F", "FloatingPoint"),
        new Builtin("fsub", new[] { "F", "F", "u32" }, "F", "FloatingPoint"),
        new Builtin("fmul", new[] { "F", "F", "u32" }, "F", "FloatingPoint"),
        new Builtin("fdiv", new[] { "F", "F", "u32" }, "F", "FloatingPoint"),
        new Builtin("fsqrt", new[] { "F", "u32" }, "F", "FloatingPoint"),
        new Builtin("fma", new[] { "F", "F", "F", "u32" }, "F", "FloatingPoint"),
        new Builtin("fabs", new[] { "F" }, "F", "FloatingPoint"),
        new Builtin("fneg", new[] { "F" }, "F", "FloatingPoint"),
        new Builtin("is_nan", new[] { "F" }, "bool", "FloatingPoint"),
        new Builtin("is_snan", new[] { "F" }, "bool", "FloatingPoint"),
        new Builtin("f_eq", new[] { "F", "F" }, "bool", "FloatingPoint"),
        new Builtin("f_lt", new[] { "F", "F" }, "bool", "FloatingPoint"),
        new Builtin("f_le", new[] { "F", "F" }, "bool", "FloatingPoint"),
        new Builtin("f32_to_f64", new[] { "f32" }, "f64", "FloatingPoint"),
        new Builtin("f64_to_f32", new[] { "f64", "u32" }, "f32", "FloatingPoint"),
        new Builtin("int_to_f32", new[] { "int", "u32" }, "f32", "FloatingPoint"),
        new Builtin("int_to_f64", new[] { "int", "u32" }, "f64", "FloatingPoint"),
        new Builtin("f_to_s32", new[] { "F", "u32" }, "s32", "FloatingPoint"),
        new Builtin("f_to_u32", new[] { "F", "u32" }, "u32", "FloatingPoint"),
        new Builtin("f_to_s64", new[] { "F", "u32" }, "s64", "FloatingPoint"),
        new Builtin("f_to_u64", new[] { "F", "u32" }, "u64", "FloatingPoint"),
        new Builtin("fp_flags", new string[0], "u32", "FloatingPoint"),
        new Builtin("fp_raise", new[] { "u32" }, "void", "FloatingPoint"),
        new Builtin("fp_clear", new string[0], "void", "FloatingPoint"),
    }.ToDictionary(b => b.Name);
}
