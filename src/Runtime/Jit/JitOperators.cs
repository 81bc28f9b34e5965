namespace Isa.Runtime.Jit;

/// <summary>The binary operators of spec semantics, as the JIT emitter receives them.</summary>
public enum JitBinary
{
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    And,
    Or,
    Xor,
    Shl,
    Shr,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    LogicalAnd,
    LogicalOr,
}

public enum JitUnary
{
    Negate,
    Not,
    LogicalNot,
}

/// <summary>The bit-manipulation builtins of the spec language.</summary>
public enum JitIntrinsic
{
    LeadingZeros,
    TrailingZeros,
    PopCount,
    BitReverse,
    ByteSwap,
    RotateRight,
    RotateLeft,
}
