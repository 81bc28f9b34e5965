namespace Isa.Runtime.Jit;

/// <summary>The two IEEE formats of spec semantics. Their values travel as bit patterns (u32, u64).</summary>
public enum JitFloatFormat
{
    Single,
    Double,
}

/// <summary>The rounded IEEE operations of spec semantics (fsqrt takes only the left operand).</summary>
public enum JitFloatOp
{
    Add,
    Sub,
    Mul,
    Div,
    Sqrt,
}

/// <summary>Floating-point relations: quiet comparisons that raise no flag (a NaN makes each false but Unordered).</summary>
public enum JitFloatCompare
{
    Equal,
    Less,
    LessOrEqual,
    Unordered,
}
