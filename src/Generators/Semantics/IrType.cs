namespace Isa.Generators.Semantics;

internal enum TypeKind
{
    Error,
    Void,
    Bool,
    Int,
    F32,
    F64,
}

/// <summary>
/// A type of the semantics language: <c>u1</c>..<c>u64</c>, <c>s1</c>..<c>s64</c>, <c>bool</c>,
/// <c>f32</c>, <c>f64</c>. An integer literal has no width (<see cref="IsLiteral"/>) until it
/// meets a typed operand.
/// </summary>
internal readonly record struct IrType(TypeKind Kind, int Bits, bool Signed)
{
    public static readonly IrType Error = new(TypeKind.Error, 0, false);
    public static readonly IrType Void = new(TypeKind.Void, 0, false);
    public static readonly IrType Bool = new(TypeKind.Bool, 1, false);
    public static readonly IrType F32 = new(TypeKind.F32, 32, false);
    public static readonly IrType F64 = new(TypeKind.F64, 64, false);
    public static readonly IrType Literal = new(TypeKind.Int, 0, false);
    public static readonly IrType U32 = UInt(32);
    public static readonly IrType U64 = UInt(64);

    public bool IsInt => Kind == TypeKind.Int;

    public bool IsLiteral => Kind == TypeKind.Int && Bits == 0;

    public bool IsFloat => Kind is TypeKind.F32 or TypeKind.F64;

    /// <summary>The C# type that holds values of this type: integers up to 32 bits live in int/uint.</summary>
    public string CSharp => Kind switch
    {
        TypeKind.Bool => "bool",
        TypeKind.F32 => "float",
        TypeKind.F64 => "double",
        TypeKind.Int when Bits > 32 => Signed ? "long" : "ulong",
        TypeKind.Int => Signed ? "int" : "uint",
        _ => "void",
    };

    /// <summary>Width of the C# representation; values narrower than it are kept normalized (zero- or sign-extended).</summary>
    public int RepBits => Kind == TypeKind.Int ? (Bits > 32 ? 64 : 32) : Bits;

    public static IrType UInt(int bits) => new(TypeKind.Int, bits, false);

    public static IrType SInt(int bits) => new(TypeKind.Int, bits, true);

    public static IrType? Parse(string name)
    {
        switch (name)
        {
            case "bool": return Bool;
            case "f32": return F32;
            case "f64": return F64;
        }

        if (name.Length >= 2 && (name[0] == 'u' || name[0] == 's')
            && int.TryParse(name.Substring(1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int bits)
            && bits >= 1 && bits <= 64)
        {
            return new IrType(TypeKind.Int, bits, name[0] == 's');
        }

        return null;
    }

    public override string ToString() => Kind switch
    {
        TypeKind.Int when Bits == 0 => "integer literal",
        TypeKind.Int => (Signed ? "s" : "u") + Bits,
        TypeKind.Bool => "bool",
        TypeKind.F32 => "f32",
        TypeKind.F64 => "f64",
        TypeKind.Void => "void",
        _ => "<error>",
    };
}
